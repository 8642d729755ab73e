/** @module */
export { backoffDelay } from './backoff-delay.js';
export type { JobContext, JobDefinition, JobHandler, JobOptions } from './define-job.js';
export { defineJob } from './define-job.js';
export type { JobsErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS, JobsError, UnrecoverableError } from './errors.js';
export type {
  BackoffOptions,
  ClaimOptions,
  GroupLimits,
  JobCounts,
  JobKeyMode,
  JobRecord,
  JobState,
  JobStore,
  JobStoreCapabilities,
  NewJob,
  StoreAddOptions,
  StoreAddResult,
  StoreCallOptions,
} from './job-store.js';
export type { NextCronRunOptions } from './next-cron-run.js';
export { nextCronRun } from './next-cron-run.js';
export type { CronExpression } from './parse-cron.js';
export { parseCron } from './parse-cron.js';
export type { AddOptions, AddResult, BulkJob, Queue, QueueOptions } from './queue.js';
export { createQueue } from './queue.js';
export type { ScheduleOptions, Scheduler, SchedulerOptions } from './scheduler.js';
export { createScheduler } from './scheduler.js';
export { createMemoryStore } from './stores/memory.js';
export type { SqlStoreOptions } from './stores/sql.js';
export { createSqlStore } from './stores/sql.js';
export type { Worker, WorkerEvents, WorkerOptions } from './worker.js';
export { createWorker } from './worker.js';

// Shared with the gateway's config validation: one suggestion rule for flags, env vars and keys.
export { didYouMean } from '@rws/proxy';

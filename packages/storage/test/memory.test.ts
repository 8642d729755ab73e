import { createMemoryStorage } from '../src/drivers/memory.js';
import { runStorageConformance } from '../src/testing.js';

runStorageConformance({ create: () => createMemoryStorage() });

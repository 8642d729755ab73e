import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "EMPTY_SHA256",
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "MAX_KEY_BYTES",
      "StorageError",
      "UNSIGNED_PAYLOAD",
      "awsUriEncode",
      "presignAwsUrl",
      "sha256Hex",
      "signAwsRequest",
      "validateKey",
    ]
  `);
});

it('driver and testing subpaths export their factories', async () => {
  expect(Object.keys(await import('../src/drivers/memory.js'))).toEqual(['createMemoryStorage']);
  expect(Object.keys(await import('../src/drivers/local.js')).sort()).toEqual([
    'LOCAL_STORAGE_DIR',
    'createLocalSignedUrlHandler',
    'createLocalStorage',
  ]);
  expect(Object.keys(await import('../src/drivers/s3.js')).sort()).toEqual([
    'S3_MIN_PART_SIZE',
    'createS3Storage',
    'credentialsFromEnv',
    'defaultAwsCredentials',
    'fromContainerCredentials',
    'fromInstanceMetadata',
    'fromWebIdentity',
  ]);
  expect(Object.keys(await import('../src/drivers/azure-blob.js')).sort()).toEqual([
    'createAzureBlobStorage',
    'fromAzureManagedIdentity',
  ]);
  expect(Object.keys(await import('../src/testing.js')).sort()).toEqual([
    'INVALID_KEYS',
    'runStorageConformance',
  ]);
});

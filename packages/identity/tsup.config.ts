import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'oidc/index': 'src/oidc/index.ts',
    'oauth2-server/index': 'src/oauth2-server/index.ts',
    'oauth2-server/sql': 'src/oauth2-server/stores/sql.ts',
    'saml/index': 'src/saml/index.ts',
  },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
});

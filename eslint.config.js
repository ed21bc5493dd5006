import {defineConfig} from 'eslint/config'
import eslint from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

export default defineConfig(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**']},
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {globals: globals.node},
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
    },
  },
  {
    // src/libvirt/ is the only code that knows virsh's command line: everything else asks Virsh
    // for a typed operation.
    files: ['src/**/*.ts'],
    ignores: ['src/libvirt/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name=/^(run|query|runWithXmlFile)$/][callee.object.name='virsh']",
          message: 'virsh arguments belong in src/libvirt/: add a typed method to Virsh.',
        },
        {
          selector: "CallExpression[callee.property.name=/^(run|query|runWithXmlFile)$/][callee.object.property.name='virsh']",
          message: 'virsh arguments belong in src/libvirt/: add a typed method to Virsh.',
        },
        {
          selector: "CallExpression[callee.property.name='run'] > Literal.arguments:first-child[value='virsh']",
          message: 'Only src/libvirt/ runs virsh.',
        },
      ],
    },
  },
)

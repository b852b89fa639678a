export * from './cnn/index.ts';
export * from './toy/index.ts';

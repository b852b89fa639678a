/**
 * Environment for a process that loads libtensorflow: TensorFlow's INFO lines (CPU feature notes,
 * oneDNN banners) are hidden unless the user asked for them; warnings and errors still show, since
 * they are what explains a GPU that is not used.
 */
export function nativeEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { TF_CPP_MIN_LOG_LEVEL: '1', ...env };
}

import { z } from 'zod';
import { ConfigErrorCode, ConfigException } from './config.exception';

/** Names the variables an app reads and how each is validated; `z.infer` of it is the app's config type. */
export function defineConfig<Shape extends z.ZodRawShape>(shape: Shape): z.ZodObject<Shape> {
  return z.object(shape);
}

/**
 * Validates the environment once at boot. The error lists every bad variable by name and says what
 * was wrong with it, without echoing the value (it may be a secret).
 */
export function loadConfig<Schema extends z.ZodObject<z.ZodRawShape>>(
  schema: Schema,
  env: Readonly<Record<string, string | undefined>> = process.env,
): z.infer<Schema> {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    // An empty variable means "not set", so defaults apply (as `FOO= npm start` intends).
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const result = schema.safeParse(picked);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.map(String).join('.') || '(environment)';
    return `${name}: ${issue.code === 'invalid_type' && picked[name] === undefined ? 'is required' : issue.message}`;
  });
  throw new ConfigException(ConfigErrorCode.INVALID_ENVIRONMENT, problems);
}

/**
 * The variables this process was started with, for handing on to a child process (which inherits them, as a shell
 * would). To read a variable, declare it in a schema and use `loadConfig`.
 */
export function inheritedEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

import { Command } from 'commander';
import { CATEGORIES, SCHEMA_COMPATIBILITY, subjectFor, TOPIC_SCHEMAS } from '@vigil/events';
import { RegistryHttpClient } from '@vigil/kafka';
import { CliError, printTable, type Output } from './cli.util';
import { withOperations } from './cli.module';

const COMPATIBILITY = SCHEMA_COMPATIBILITY;

export interface SubjectResult {
  subject: string;
  id: number;
  versions: number;
  compatibility: string;
}

/** Sets the compatibility level, refuses an incompatible schema with a clear error, and registers it. */
export async function applySchema(registry: RegistryHttpClient, subject: string, schema: object): Promise<SubjectResult> {
  if ((await registry.getCompatibility(subject)) !== COMPATIBILITY) await registry.setCompatibility(subject, COMPATIBILITY);
  if (!(await registry.isCompatible(subject, schema))) {
    throw new CliError(
      `the schema of ${subject} is not ${COMPATIBILITY}-compatible with its registered versions; only add or remove fields with defaults (docs/schemas.md)`,
    );
  }
  const id = await registry.register(subject, schema);
  return { subject, id, versions: (await registry.versions(subject)).length, compatibility: COMPATIBILITY };
}

export function schemasCommand(out: Output): Command {
  const schemas = new Command('schemas').description('Avro schemas of the audit topics in the schema registry');
  schemas
    .command('apply')
    .description(`register this build's schemas (subjects audit.<category>-value, ${COMPATIBILITY})`)
    .action(async () => {
      const results = await withOperations(async (app) => {
        const registry = app.get(RegistryHttpClient);
        const applied: SubjectResult[] = [];
        for (const category of CATEGORIES) applied.push(await applySchema(registry, subjectFor(category), TOPIC_SCHEMAS[category]));
        return applied;
      });
      printTable(out, results as unknown as Record<string, string | number>[], results);
    });
  schemas
    .command('check')
    .description("check that this build's schemas are compatible with the registered ones, without registering")
    .action(async () => {
      const rows = await withOperations(async (app) => {
        const registry = app.get(RegistryHttpClient);
        const checked: { subject: string; compatible: boolean }[] = [];
        for (const category of CATEGORIES)
          checked.push({
            subject: subjectFor(category),
            compatible: await registry.isCompatible(subjectFor(category), TOPIC_SCHEMAS[category]),
          });
        return checked;
      });
      printTable(out, rows);
      if (rows.some((r) => !r.compatible)) throw new CliError('incompatible schemas; see the table above');
    });
  return schemas;
}

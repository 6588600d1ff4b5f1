import type { RawAdmin as Admin } from '@vigil/kafka';
import { allTopics } from '@vigil/events';

/** Creates the audit topics a fresh broker lacks (auto-create is off); `vigil topics apply` does this for real. */
export async function ensureAuditTopics(admin: Admin): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = allTopics().filter((topic) => !existing.has(topic));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: 3 })) });
  } catch (err) {
    // Another test file may have created them in the meantime.
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
}

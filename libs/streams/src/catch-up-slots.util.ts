/**
 * The streams that may read from their own checkpoint at once (VIGIL_STREAMS_CATCHUP_CONCURRENCY), and at most
 * `perTenant` of them of one tenant (VIGIL_STREAMS_CATCHUP_PER_TENANT). A catch-up holds its slot until its stream
 * rejoins, stalls or stops, and a stream whose SIEM answers slowly but without failing may hold it long: without the
 * per-tenant bound, one tenant with enough such streams held every slot, and every other tenant's detached streams
 * waited ("waiting for a catch-up slot") while their lag grew toward Kafka's retention.
 * Waiters are served first come, first served among those whose tenant is under its bound; a waiter that gives up
 * (its signal aborts) leaves the line, so a released slot always goes to one that still wants it.
 */
export class CatchUpSlots {
  private used = 0;
  private readonly byTenant = new Map<string, number>();
  private readonly line: { tenant: string; wake: () => void }[] = [];

  constructor(
    private readonly size: number,
    private readonly perTenant: number,
  ) {}

  /** Resolves true with a slot taken, or false once `signal` aborted first. */
  async acquire(signal: AbortSignal, tenant: string): Promise<boolean> {
    while (!this.free(tenant)) {
      if (signal.aborted) return false;
      await new Promise<void>((resolve) => {
        const waiter = { tenant, wake: resolve };
        this.line.push(waiter);
        signal.addEventListener(
          'abort',
          () => {
            const at = this.line.indexOf(waiter);
            if (at >= 0) this.line.splice(at, 1);
            resolve();
          },
          { once: true },
        );
      });
    }
    if (signal.aborted) return false;
    this.used++;
    this.byTenant.set(tenant, (this.byTenant.get(tenant) ?? 0) + 1);
    return true;
  }

  release(tenant: string): void {
    this.used = Math.max(0, this.used - 1);
    const held = (this.byTenant.get(tenant) ?? 1) - 1;
    if (held > 0) this.byTenant.set(tenant, held);
    else this.byTenant.delete(tenant);
    // The first waiter that can take a slot now: another tenant's may go ahead of one whose tenant is at its bound.
    const at = this.line.findIndex((w) => this.free(w.tenant));
    if (at >= 0) this.line.splice(at, 1)[0]?.wake();
  }

  /** Slots taken, in all and by one tenant. */
  taken(tenant?: string): number {
    return tenant === undefined ? this.used : (this.byTenant.get(tenant) ?? 0);
  }

  private free(tenant: string): boolean {
    return this.used < this.size && (this.byTenant.get(tenant) ?? 0) < this.perTenant;
  }
}

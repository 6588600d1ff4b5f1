import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { formatTime } from '../../ui/time.util.ts';
import type { AuditEventNode } from './queries.util.ts';

const ROW_HEIGHT = 36;
/** Start fetching the next page this many rows before the end, so scrolling rarely waits. */
const PREFETCH_ROWS = 40;

export interface EventsTableProps {
  rows: AuditEventNode[];
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  onOpen: (id: string) => void;
  selectedId: string | null;
  newIds: ReadonlySet<string>;
  zone: 'utc' | 'local';
  showTenant: boolean;
}

function targetText(event: AuditEventNode): string {
  const first = event.targets[0];
  if (!first) return '';
  const text = `${first.type}:${first.name ?? first.id}`;
  return event.targets.length > 1 ? `${text} +${event.targets.length - 1}` : text;
}

/**
 * The events as a virtualised table: only the rows in view (and a few around them) are in the DOM, so 10,000 rows
 * scroll as smoothly as 100. The table is one tab stop (a roving tabindex): Tab reaches the current row, the arrow
 * keys, Home and End move between rows, Enter opens one.
 */
export function EventsTable({ rows, hasMore, loadingMore, onLoadMore, onOpen, selectedId, newIds, zone, showTenant }: EventsTableProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [activeIndex, setActiveIndex] = useState(0);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  // The row Tab lands on: the current one, or the first in view when the current one has scrolled out of the DOM.
  const tabbable = items.some((i) => i.index === activeIndex) ? activeIndex : (items[0]?.index ?? 0);
  const lastIndex = items.length > 0 ? (items[items.length - 1]?.index ?? 0) : 0;

  useEffect(() => {
    if (hasMore && !loadingMore && rows.length > 0 && lastIndex >= rows.length - PREFETCH_ROWS) onLoadMore();
  }, [hasMore, loadingMore, lastIndex, rows.length, onLoadMore]);

  const focusRow = (index: number): void => {
    const clamped = Math.max(0, Math.min(rows.length - 1, index));
    virtualizer.scrollToIndex(clamped, { align: 'auto' });
    requestAnimationFrame(() => scrollRef.current?.querySelector<HTMLElement>(`[data-index="${clamped}"]`)?.focus());
  };

  const onKey = (e: KeyboardEvent<HTMLDivElement>, index: number, id: string): void => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen(id);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      focusRow(index + 1);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      focusRow(index - 1);
    } else if (e.key === 'Home') {
      e.preventDefault();
      focusRow(0);
    } else if (e.key === 'End') {
      e.preventDefault();
      focusRow(rows.length - 1);
    }
  };

  return (
    <div className={`events-table${showTenant ? ' with-tenant' : ''}`} role="table" aria-label="Events" aria-rowcount={rows.length + 1}>
      <div className="events-head" role="rowgroup">
        <div role="row" aria-rowindex={1} className="events-row head">
          <span role="columnheader" className="col-time">
            Time ({zone === 'utc' ? 'UTC' : 'local'})
          </span>
          {showTenant && (
            <span role="columnheader" className="col-tenant">
              Tenant
            </span>
          )}
          <span role="columnheader" className="col-action">
            Action
          </span>
          <span role="columnheader" className="col-outcome">
            Outcome
          </span>
          <span role="columnheader" className="col-actor">
            Actor
          </span>
          <span role="columnheader" className="col-target">
            Target
          </span>
          <span role="columnheader" className="col-ip">
            Client IP
          </span>
          <span role="columnheader" className="col-service">
            Service
          </span>
        </div>
      </div>
      <div ref={scrollRef} className="events-scroll" role="rowgroup">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const event = rows[item.index];
            if (!event) return null;
            const classes = ['events-row', event.id === selectedId ? 'selected' : '', newIds.has(event.id) ? 'row-new' : '']
              .filter(Boolean)
              .join(' ');
            return (
              <div
                key={event.id}
                role="row"
                aria-rowindex={item.index + 2}
                aria-selected={event.id === selectedId}
                data-index={item.index}
                data-event-id={event.id}
                tabIndex={item.index === tabbable ? 0 : -1}
                onFocus={() => setActiveIndex(item.index)}
                className={classes}
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                onClick={() => onOpen(event.id)}
                onKeyDown={(e) => onKey(e, item.index, event.id)}
              >
                <span role="cell" className="col-time mono">
                  {formatTime(event.time, zone)}
                </span>
                {showTenant && (
                  <span role="cell" className="col-tenant">
                    {event.tenantId}
                  </span>
                )}
                <span role="cell" className="col-action mono" title={event.action}>
                  {event.action}
                </span>
                <span role="cell" className={`col-outcome outcome-${event.outcome.toLowerCase()}`}>
                  {event.outcome === 'SUCCESS' ? '✓ success' : event.outcome === 'FAILURE' ? '✗ failure' : '? unknown'}
                </span>
                <span role="cell" className="col-actor" title={event.actor.id}>
                  {event.actor.name ? `${event.actor.name} (${event.actor.id})` : event.actor.id}
                </span>
                <span role="cell" className="col-target" title={targetText(event)}>
                  {targetText(event)}
                </span>
                <span role="cell" className="col-ip mono">
                  {event.client?.ip ?? ''}
                </span>
                <span role="cell" className="col-service">
                  {event.service.name}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

/**
 * A page that also ends at a number of bytes (docs/query-api.md, "Limits and errors"; docs/integrity.md): events may
 * hold 512 KiB each, so a page bounded by its rows alone could put gigabytes in the process reading it. PostgreSQL
 * measures each row's text over the page query's own rows and keeps them while their running total is within the
 * bound, always the first: the rows past it never leave the database.
 */

/** The columns the wrapping adds to each row (ignored by the row mappers, which pick their columns by name). */
export interface ByteBoundedColumns {
  /** Rows the page query itself returned, before the cut. */
  page_rows: string;
}

/**
 * Wraps `pageSql` (ordered by `order`, limited) so its rows end once their text passes the bytes bound, which is
 * parameter `$boundParam`; the rows come out in `order`.
 */
export function byteBoundedSql(pageSql: string, order: string, boundParam: number): string {
  return `SELECT * FROM (
      SELECT p.*, row_number() OVER w AS page_row, sum(octet_length(p::text)) OVER w AS page_bytes, count(*) OVER () AS page_rows
      FROM (${pageSql}) p WINDOW w AS (ORDER BY ${order} ROWS UNBOUNDED PRECEDING)
    ) w WHERE page_row = 1 OR page_bytes <= $${boundParam} ORDER BY ${order}`;
}

/** How many rows the page query returned before the cut (0 for none); fewer came out when the bound cut the page. */
export function rowsRead(rows: readonly ByteBoundedColumns[]): number {
  return rows[0] === undefined ? 0 : Number(rows[0].page_rows);
}

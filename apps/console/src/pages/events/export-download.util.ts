// Downloads an export of the current view. The endpoint needs the credential in a header, so a plain link cannot
// fetch it: the console streams the body, shows progress, and hands the browser a file from the bytes it received.

export interface ExportProgress {
  bytes: number;
  lines: number;
}

/** vigil-events-<from>-<to>.<ext>, with the times made safe for file names. */
export function exportFileName(from: string, to: string, format: 'csv' | 'ndjson'): string {
  const stamp = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z').replace(/[:]/g, '');
  return `vigil-events-${stamp(from)}-${stamp(to)}.${format}`;
}

export async function downloadExport(options: {
  url: string;
  headers: Record<string, string>;
  fileName: string;
  signal: AbortSignal;
  onProgress: (progress: ExportProgress) => void;
}): Promise<ExportProgress> {
  const res = await fetch(options.url, { headers: options.headers, signal: options.signal });
  if (!res.ok) {
    let message = `The export failed (HTTP ${res.status})`;
    try {
      const body = (await res.json()) as { message?: string; errors?: { message?: string }[] };
      message = body.errors?.[0]?.message ?? body.message ?? message;
    } catch {
      // not JSON: keep the status line
    }
    const retry = res.headers.get('retry-after');
    throw new Error(retry ? `${message} (retry in ${retry} s)` : message);
  }
  const type = res.headers.get('content-type') ?? 'application/octet-stream';
  const chunks: BlobPart[] = [];
  const progress: ExportProgress = { bytes: 0, lines: 0 };
  const reader = res.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      progress.bytes += value.byteLength;
      for (const byte of value) if (byte === 10) progress.lines += 1;
      options.onProgress({ ...progress });
    }
  }
  const blob = new Blob(chunks, { type });
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = options.fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
  return progress;
}

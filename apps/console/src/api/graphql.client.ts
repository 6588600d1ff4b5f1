// The console's only way to the data: the public GraphQL API (and, for downloads, the export endpoint), with the
// signed-in credential. Errors keep the API's extensions.code so pages can say what went wrong.

export interface ApiErrorShape {
  code: string;
  message: string;
  field?: string;
  retryAfterSeconds?: number;
}

/** An error the API answered (or the network failed with: code NETWORK). */
export class ApiError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(shape: ApiErrorShape) {
    super(shape.message);
    this.name = 'ApiError';
    this.code = shape.code;
    this.field = shape.field;
    this.retryAfterSeconds = shape.retryAfterSeconds;
  }

  /** The credential is missing, wrong, revoked or expired: the console signs out. */
  get isAuthFailure(): boolean {
    return this.code === 'UNAUTHENTICATED';
  }
}

interface GraphQLErrorJson {
  message?: string;
  extensions?: { code?: string; field?: string; retryAfterSeconds?: number };
}

interface GraphQLResponseJson<T> {
  data?: T | null;
  errors?: GraphQLErrorJson[];
}

/** Turns the first GraphQL error into an ApiError. */
export function toApiError(error: GraphQLErrorJson | undefined, fallback = 'The request failed'): ApiError {
  const ext = error?.extensions ?? {};
  return new ApiError({
    code: ext.code ?? 'INTERNAL_SERVER_ERROR',
    message: error?.message ?? fallback,
    ...(ext.field !== undefined ? { field: ext.field } : {}),
    ...(ext.retryAfterSeconds !== undefined ? { retryAfterSeconds: ext.retryAfterSeconds } : {}),
  });
}

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export interface GraphQLClientOptions {
  /** Where the API lives; the page's own origin by default. */
  baseUrl?: string;
  credential: () => string | null;
  /** Called when the API refuses the credential, so the console can sign out. */
  onAuthFailure?: (error: ApiError) => void;
  fetch?: Fetch;
}

export class GraphQLClient {
  private readonly options: GraphQLClientOptions;
  private readonly baseUrl: string;
  private readonly fetchImpl: Fetch;

  constructor(options: GraphQLClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl ?? '';
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  authHeaders(): Record<string, string> {
    const credential = this.options.credential();
    return credential ? { authorization: `Bearer ${credential}` } : {};
  }

  /** Runs one operation; throws ApiError for a GraphQL error, an HTTP refusal or a network failure. */
  async request<T>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...this.authHeaders() },
        body: JSON.stringify({ query, variables }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError({ code: 'NETWORK', message: 'The Vigil API cannot be reached. Check your connection and try again.' });
    }
    let body: GraphQLResponseJson<T>;
    try {
      body = (await res.json()) as GraphQLResponseJson<T>;
    } catch {
      throw new ApiError({ code: `HTTP_${res.status}`, message: `The API answered HTTP ${res.status} without a GraphQL body` });
    }
    if (body.errors && body.errors.length > 0) {
      const error = toApiError(body.errors[0]);
      if (error.isAuthFailure) this.options.onAuthFailure?.(error);
      throw error;
    }
    if (body.data == null) throw new ApiError({ code: `HTTP_${res.status}`, message: `The API answered HTTP ${res.status} with no data` });
    return body.data;
  }
}

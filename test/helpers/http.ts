/** Raw HTTP against the API, for asserting the exact wire shape of responses. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
  text: string;
}

export async function call(
  endpoint: string,
  method: string,
  path: string,
  body?: unknown,
  init: { headers?: Record<string, string>; rawBody?: string | Uint8Array } = {},
): Promise<RawResponse> {
  const payload = init.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  const response = await fetch(endpoint + path, {
    method,
    headers: { "content-type": "application/json", ...init.headers },
    ...(payload !== undefined ? { body: payload } : {}),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export const ESM_PATH = "/2015-03-31/event-source-mappings/";
export const tagsPath = (arn: string) => `/2017-03-31/tags/${encodeURIComponent(arn)}`;

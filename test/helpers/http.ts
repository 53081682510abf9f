export interface Credentials {
  email: string;
  password: string;
}

export function basicAuth({ email, password }: Credentials): string {
  return `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** fetch with Basic auth and a JSON (or empty) answer. */
export async function api<T = unknown>(
  url: string,
  options: {
    method?: string;
    credentials?: Credentials;
    json?: unknown;
    form?: FormData;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.credentials) headers.authorization = basicAuth(options.credentials);
  let body: string | FormData | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  const res = await fetch(url, { method: options.method ?? 'GET', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A multipart form holding the artifact under `field` (RS: `module`). */
export function artifactForm(zip: Buffer, field = 'module', filename = 'custom-module.zip'): FormData {
  const form = new FormData();
  form.append(field, new Blob([zip], { type: 'application/zip' }), filename);
  return form;
}

/**
 * A minimal scripted browser for the walkthrough: follows redirects by hand, keeps cookies, and
 * does what the two pages with scripts would do (the IdP's sign-in form, MWAA's landing page that
 * posts the `#token` fragment). The real-browser version of this is test/integration/sso/login.browser.
 */
export class ScriptedBrowser {
  private readonly cookies = new Map<string, string>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0)
      headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(line);
      if (expired) this.cookies.delete(pair.slice(0, eq).trim());
      else this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
    }
    return response;
  }

  /** GET `url`, following redirects; a redirect to the IdP signs in as `email`. */
  async open(url: string, email: string): Promise<{ url: string; response: Response }> {
    let current = url;
    for (let hop = 0; hop < 10; hop += 1) {
      const response = await this.fetch(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, response };
      const next = new URL(location, current);
      if (next.pathname === '/authorize') {
        // The IdP's login page: fill in the e-mail and submit, as a person would.
        await (await this.fetch(next.toString())).text();
        const form = new URLSearchParams(next.searchParams);
        form.set('email', email);
        form.set('email_verified', 'true');
        const submitted = await this.fetch(`${next.origin}/authorize`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        });
        current = new URL(submitted.headers.get('location') ?? '', next).toString();
        continue;
      }
      if (next.hash.length > 1 && next.searchParams.get('login') === 'true') {
        // MWAA's landing page script: post the token from the fragment.
        const posted = await this.fetch(`${next.origin}${next.pathname}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: decodeURIComponent(next.hash.slice(1)) }).toString(),
        });
        current = new URL(posted.headers.get('location') ?? '/', next.origin).toString();
        continue;
      }
      current = next.toString();
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

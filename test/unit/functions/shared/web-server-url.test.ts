import { describe, expect, it } from '@jest/globals';
import { webServerUrl } from '../../../../functions/shared/web-server-url.ts';

describe('Function: webServerUrl', () => {
  it('uses https for an AWS webserver hostname', () => {
    expect(webServerUrl('abc-123.c10.us-east-1.airflow.on.aws')).toBe(
      'https://abc-123.c10.us-east-1.airflow.on.aws',
    );
  });

  it.each([
    ['127.0.0.1:49152', 'http://127.0.0.1:49152'],
    ['localhost:8080', 'http://localhost:8080'],
    ['LOCALHOST', 'http://LOCALHOST'],
    ['[::1]:8080', 'http://[::1]:8080'],
  ])('uses http for the loopback host %s', (hostname, url) => {
    expect(webServerUrl(hostname)).toBe(url);
  });

  it('does not treat hosts that merely start like loopback as loopback', () => {
    expect(webServerUrl('127.0.0.1.nip.io')).toBe('https://127.0.0.1.nip.io');
    expect(webServerUrl('localhost.example.com')).toBe('https://localhost.example.com');
  });

  it('drops a trailing slash and rejects a hostname that already has a scheme', () => {
    expect(webServerUrl('127.0.0.1:1234/')).toBe('http://127.0.0.1:1234');
    expect(() => webServerUrl('https://example.com')).toThrow(TypeError);
  });
});

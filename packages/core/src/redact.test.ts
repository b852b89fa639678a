import { describe, expect, it } from 'vitest';
import { redactDeep, redactSecrets, redactUrl, secretsFromEnv, urlCredentials, urlWithoutCredentials } from './redact.ts';

describe('redacting secrets', () => {
  it('takes the userinfo out of Redis and MLflow URLs', () => {
    expect(redactUrl('redis://:s3cret@127.0.0.1:6390')).toBe('redis://***@127.0.0.1:6390');
    expect(redactUrl('redis://user:pw@host:6379/2')).toBe('redis://***@host:6379/2');
    expect(redactUrl('rediss://default:tls-pw@cache.example:6380')).toBe('rediss://***@cache.example:6380');
    expect(redactUrl('http://ada:pa%3Ass@127.0.0.1:5000')).toBe('http://***@127.0.0.1:5000');
    // An unescaped '@' in the password: WHATWG's parser takes the last one; so does the redaction.
    expect(redactUrl('redis://:p@ss@host:1')).toBe('redis://***@host:1');
    expect(redactUrl('http://127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(redactUrl('http://host/path@not-userinfo')).toBe('http://host/path@not-userinfo');
  });

  it('finds URLs inside messages, JSON and stacks', () => {
    const line = 'sweep ab: 6 job(s) enqueued on redis://:s3cret@127.0.0.1:6390, tracked in http://u:pw@h:5000/x';
    expect(redactSecrets(line)).toBe('sweep ab: 6 job(s) enqueued on redis://***@127.0.0.1:6390, tracked in http://***@h:5000/x');
    expect(redactSecrets(JSON.stringify({ queue: 'redis://:s3cret@h:1', mail: 'a@b' }))).toBe('{"queue":"redis://***@h:1","mail":"a@b"}');
  });

  it("replaces the environment's secrets wherever they appear, also percent-encoded", () => {
    const secrets = secretsFromEnv({ MLFLOW_TRACKING_TOKEN: 'tok-123456', MLFLOW_TRACKING_PASSWORD: 'pa ss/wörd', MLFLOW_TRACKING_USERNAME: 'ada' });
    expect(secrets).toEqual(['pa ss/wörd', 'tok-123456']);
    expect(redactSecrets('Bearer tok-123456 and pa ss/wörd and pa%20ss%2Fw%C3%B6rd; user ada', secrets)).toBe('Bearer *** and *** and ***; user ada');
    // Too short to search for without garbling the text; inside a URL it still goes.
    expect(redactSecrets('a pw b http://x:pw@h', ['pw'])).toBe('a pw b http://***@h');
  });

  it('redacts every string of a nested value', () => {
    expect(redactDeep({ tracking: { uri: 'http://u:p@h:1' }, list: ['redis://:x@h'], n: 3 })).toEqual({ tracking: { uri: 'http://***@h:1' }, list: ['redis://***@h'], n: 3 });
  });

  it('splits a URL into its address and its credentials', () => {
    expect(urlWithoutCredentials('http://ada:pa%3Ass@127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(urlWithoutCredentials('http://ada:pw@127.0.0.1:5000/prefix')).toBe('http://127.0.0.1:5000/prefix');
    expect(urlWithoutCredentials('redis://:s3cret@127.0.0.1:6390')).toBe('redis://127.0.0.1:6390');
    expect(urlWithoutCredentials('http://127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(urlCredentials('http://ada:pa%3Ass@h')).toEqual({ username: 'ada', password: 'pa:ss' });
    expect(urlCredentials('redis://:s3cret@h')).toEqual({ username: '', password: 's3cret' });
    expect(urlCredentials('http://h:1')).toBeNull();
  });
});

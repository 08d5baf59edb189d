import { createSseParser, type SseMessage } from '../src/events/sse-reader';

describe('createSseParser', () => {
  it('parses ids, event names, multi-line data, comments and retry hints across chunk boundaries', () => {
    const messages: SseMessage[] = [];
    const retries: number[] = [];
    const feed = createSseParser(
      (message) => messages.push(message),
      (ms) => retries.push(ms),
    );
    for (const chunk of [
      'retry: 1000\n\n: heartbeat\n\nid: 1-0\nevent: access.ch',
      'anged\ndata: {"a":\ndata: 1}\r\n\r\n',
      'id: 2-0\nevent: reset\ndata:\n\n',
    ]) {
      feed(chunk);
    }
    expect(retries).toEqual([1000]);
    expect(messages).toEqual([
      { id: '1-0', event: 'access.changed', data: '{"a":\n1}' },
      { id: '2-0', event: 'reset', data: '' },
    ]);
  });
});

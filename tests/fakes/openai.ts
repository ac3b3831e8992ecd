import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens?: number;
  response_format?: { type: string; json_schema?: { name: string; schema: Record<string, unknown> } };
}

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  body: ChatRequestBody;
}

/** What the fake answers: a content string (or a function of the request), an HTTP error, or a hang. */
export type Script = (req: RecordedRequest) => {
  content?: string;
  status?: number;
  hang?: boolean;
  delayMs?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
};

/**
 * A fake OpenAI-compatible server on loopback (`POST /v1/chat/completions`), as Ollama and
 * llama.cpp's server speak it: it records every request (for the prompt checks) and answers
 * from a script.
 */
export class FakeOpenAi {
  readonly requests: RecordedRequest[] = [];
  script: Script = () => ({ content: '{"intents":[],"confidence":0}' });
  private server?: Server;
  private readonly hanging = new Set<IncomingMessage>();
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
          res.writeHead(404).end();
          return;
        }
        const rec: RecordedRequest = { path: req.url, authorization: req.headers.authorization, body: JSON.parse(raw) as ChatRequestBody };
        this.requests.push(rec);
        const out = this.script(rec);
        if (out.hang) {
          this.hanging.add(req);
          return;
        }
        const send = () => {
          if (out.status && out.status !== 200) {
            res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'scripted failure' } }));
            return;
          }
          const usage = out.usage ?? { prompt_tokens: Math.ceil(raw.length / 4), completion_tokens: Math.ceil((out.content ?? '').length / 4) };
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              id: 'chatcmpl-1',
              object: 'chat.completion',
              model: rec.body.model,
              choices: [{ index: 0, message: { role: 'assistant', content: out.content ?? '' }, finish_reason: 'stop' }],
              usage,
            }),
          );
        };
        if (out.delayMs) setTimeout(send, out.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  /** Every prompt text sent so far (system and user messages). */
  prompts(): string[] {
    return this.requests.flatMap((r) => r.body.messages.map((m) => m.content));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

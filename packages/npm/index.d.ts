/** An email AR24 would have sent, as the mock's outbox shows it. */
export interface Email {
  id: number;
  to: string;
  kind: 'cgu' | 'access' | 'team' | 'payment' | 'letter' | 'reminder' | 'notification';
  subject: string;
  body: string;
  link: string;
  sent_at: string;
  partner: string;
}

/** One partner of a running mock. */
export interface Partner {
  /** The mock's root, `http://127.0.0.1:PORT/`. */
  url: string;
  /** The AR24 API base, `http://127.0.0.1:PORT/api/`: what replaces `https://sandbox.ar24.fr/api/`. */
  baseUrl: string;
  token: string;
  privateKey: string;
  /** This partner's emails, oldest first. */
  emails(filter?: { to?: string; kind?: Email['kind'] }): Promise<Email[]>;
  /** Follows an email's link, as a person clicking its button. */
  click(link: string): Promise<unknown>;
  /** Forgets what this partner made. */
  reset(): Promise<void>;
}

/** A running mock, as its default partner. */
export interface Mock extends Partner {
  /** Every email in the outbox. */
  emails(filter?: { to?: string; kind?: Email['kind'] }): Promise<Email[]>;
  /** Forgets every user, email and letter; partners stay. */
  reset(): Promise<void>;
  /** A partner of its own, for a test that runs beside others. */
  newPartner(settings?: { name?: string; cgu_preaccepted?: boolean; global_billing?: boolean; webhook?: string }): Promise<Partner>;
  stop(): Promise<void>;
}

/** The mock's flags (`ar24-mock --help`), camelCase: `{ auth: 'plain', notifyDelay: 60 }`. */
export type Settings = Record<string, string | number | boolean | undefined>;

/** Starts a mock on a free port and resolves once it is healthy. */
export function start(settings?: Settings): Promise<Mock>;
/** The path of the ar24-mock binary this package runs. */
export function binary(): string;

// The shape of a local Kafka: how many KRaft nodes, and whether clients must use SASL_SSL. `npm run stack:up --
// --brokers 3 --secure` asks for a three-node cluster with TLS, SCRAM users and ACLs; the choice is remembered in the
// stack's state directory, so a later `up` (or `npm start`, `status`) keeps it. Everything here is for the local
// stacks only: docs/operations.md#security gives the same principals and ACLs as commands for a real cluster.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import type { StackSpec } from './env.mts';
import { ScriptError, capture } from './proc.mts';

export interface KafkaMode {
  brokers: number;
  secure: boolean;
}

export interface KafkaNode {
  id: number;
  brokerPort: number;
  controllerPort: number;
  /** Where this node keeps its log; node 1 of a one-node stack keeps the path it always had. */
  dataDir: string;
  configFile: string;
  /** Pid file name (`kafka` for node 1, `kafka-2` ...). */
  pidName: string;
}

/** Mechanism of every local principal (Kafka keeps SCRAM credentials in the cluster metadata). */
export const SCRAM = 'SCRAM-SHA-512';

/**
 * One principal per app, each with the least rights it needs (docs/operations.md#principals-and-acls):
 * producers write the audit topics, the query API also reads them (live tail), the materializer reads them and writes dead letters (and its signed checkpoints,
 * which are events of the application-change topic), connectors read them and report status, and only the operator
 * (`vigil` CLI: topics, replay, pause and resume) writes the control topic.
 */
export const principals = {
  admin: 'vigil-admin',
  producer: 'vigil-producer',
  queryApi: 'vigil-query-api',
  materializer: 'vigil-materializer',
  connector: 'vigil-connector',
  operator: 'vigil-operator',
} as const;
export type Principal = keyof typeof principals;

function stateFile(stack: StackSpec): string {
  return path.join(stack.stateDir, 'kafka', 'mode.json');
}

export function secureDir(stack: StackSpec): string {
  return path.join(stack.stateDir, 'secure');
}

/** The mode the stack's data was formatted in, if it has any. */
export function savedMode(stack: StackSpec): KafkaMode | undefined {
  const file = stateFile(stack);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as KafkaMode;
}

export function saveMode(stack: StackSpec, mode: KafkaMode): void {
  mkdirSync(path.dirname(stateFile(stack)), { recursive: true });
  writeFileSync(stateFile(stack), `${JSON.stringify(mode)}\n`);
}

/** The mode to run in: what the flags ask for, else what the data was made with, else the stack's default. */
export function modeOf(stack: StackSpec, args: readonly string[]): { mode: KafkaMode; asked: boolean } {
  const brokersArg = args.find((a) => a.startsWith('--brokers='))?.slice('--brokers='.length) ?? args[args.indexOf('--brokers') + 1];
  const askedBrokers = args.includes('--brokers') || args.some((a) => a.startsWith('--brokers='));
  const askedSecure = args.includes('--secure');
  const saved = savedMode(stack);
  const base = saved ?? stack.defaultKafkaMode;
  if (askedBrokers && brokersArg !== '1' && brokersArg !== '3')
    throw new ScriptError(`--brokers ${brokersArg ?? '(missing)'}: expected 1 or 3`);
  const mode = {
    brokers: askedBrokers ? Number(brokersArg) : base.brokers,
    secure: askedSecure ? true : args.includes('--plaintext') ? false : base.secure,
  };
  return { mode, asked: askedBrokers || askedSecure || args.includes('--plaintext') };
}

/** The nodes of a stack's Kafka: node i listens on base + 2(i - 1) for clients and the port after it for the controllers. */
export function kafkaNodes(stack: StackSpec, mode: KafkaMode): KafkaNode[] {
  const base = stack.kafkaBasePort;
  return Array.from({ length: mode.brokers }, (_, i) => {
    const id = i + 1;
    const single = mode.brokers === 1;
    return {
      id,
      brokerPort: base + 2 * i,
      controllerPort: base + 2 * i + 1,
      dataDir: single ? path.join(stack.stateDir, 'kafka', 'data') : path.join(stack.stateDir, 'kafka', `node-${id}`, 'data'),
      configFile: single
        ? path.join(stack.stateDir, 'kafka', 'server.properties')
        : path.join(stack.stateDir, 'kafka', `node-${id}`, 'server.properties'),
      pidName: id === 1 ? 'kafka' : `kafka-${id}`,
    };
  });
}

export function bootstrapOf(nodes: readonly KafkaNode[]): string {
  return nodes.map((n) => `127.0.0.1:${n.brokerPort}`).join(',');
}

// ---------------------------------------------------------------- credentials and certificates

export type Credentials = Record<Principal, string>;

/** The principals' passwords: made once, with the data they were formatted into (0600, under the state directory). */
export function credentials(stack: StackSpec): Credentials {
  const file = path.join(secureDir(stack), 'credentials.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
    const missing = Object.keys(principals).filter((p) => saved[p as Principal] === undefined);
    // SCRAM users are formatted into the cluster's storage: a principal added since needs a cluster made afresh.
    if (missing.length > 0)
      throw new ScriptError(
        `the ${stack.name} stack's Kafka has no user for ${missing.map((p) => principals[p as Principal]).join(', ')} (added since it was made): npm run stack:up -- ${stack.name} --fresh`,
      );
    return saved as Credentials;
  }
  mkdirSync(secureDir(stack), { recursive: true, mode: 0o700 });
  const made = Object.fromEntries(Object.keys(principals).map((p) => [p, randomBytes(18).toString('base64url')])) as Credentials;
  writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
  return made;
}

/** Drops the credentials and certificates: a fresh cluster gets new ones (the old were formatted into the data removed). */
export function forgetSecrets(stack: StackSpec): void {
  rmSync(secureDir(stack), { recursive: true, force: true });
}

/** A private CA and a broker certificate for 127.0.0.1 and localhost (openssl), made once per stack. */
export function ensureCertificates(stack: StackSpec): { ca: string; brokerPem: string } {
  const dir = secureDir(stack);
  const ca = path.join(dir, 'ca.pem');
  const caKey = path.join(dir, 'ca.key');
  const brokerKey = path.join(dir, 'broker.key');
  const brokerCsr = path.join(dir, 'broker.csr');
  const brokerCert = path.join(dir, 'broker.crt');
  const brokerPem = path.join(dir, 'broker.pem');
  const ext = path.join(dir, 'broker.ext');
  if (existsSync(ca) && existsSync(brokerPem)) return { ca, brokerPem };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // capture() keeps openssl's progress dots out of the output and shows its stderr if it fails.
  capture('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    ca,
    '-days',
    '825',
    '-subj',
    `/CN=Vigil local ${stack.name} CA`,
  ]);
  capture('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', brokerKey, '-out', brokerCsr, '-subj', '/CN=127.0.0.1']);
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  capture('openssl', [
    'x509',
    '-req',
    '-in',
    brokerCsr,
    '-CA',
    ca,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    brokerCert,
    '-days',
    '825',
    '-extfile',
    ext,
  ]);
  // Kafka's PEM key store: the PKCS#8 key, then the certificate chain, in one file.
  const pkcs8 = path.join(dir, 'broker.pk8');
  capture('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', brokerKey, '-out', pkcs8]);
  writeFileSync(brokerPem, readFileSync(pkcs8, 'utf8') + readFileSync(brokerCert, 'utf8'), { mode: 0o600 });
  return { ca, brokerPem };
}

// ---------------------------------------------------------------- broker configuration

/** Sets (or appends) properties in a Java properties text. */
export function withProperties(text: string, values: Readonly<Record<string, string>>): string {
  const lines = text.split('\n');
  const pending = new Map(Object.entries(values));
  const out = lines.map((line) => {
    const m = /^([A-Za-z0-9._-]+)=/.exec(line);
    const key = m?.[1];
    if (key === undefined || !pending.has(key)) return line;
    const value = pending.get(key) ?? '';
    pending.delete(key);
    return `${key}=${value}`;
  });
  for (const [key, value] of pending) out.push(`${key}=${value}`);
  return out.join('\n');
}

/** A node's server.properties from the one-node template: the quorum, replication and, when secure, listeners, TLS and ACLs. */
export function nodeProperties(
  template: string,
  node: KafkaNode,
  nodes: readonly KafkaNode[],
  mode: KafkaMode,
  secure?: { ca: string; brokerPem: string; adminPassword: string },
): string {
  const base = template
    .replaceAll('${DATA_DIR}', node.dataDir)
    .replaceAll('${BROKER_PORT}', String(node.brokerPort))
    .replaceAll('${CONTROLLER_PORT}', String(node.controllerPort));
  const values: Record<string, string> = {
    'node.id': String(node.id),
    'controller.quorum.voters': nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(','),
  };
  if (mode.brokers >= 3) {
    Object.assign(values, {
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
      'unclean.leader.election.enable': 'false',
    });
  }
  if (secure !== undefined) {
    Object.assign(values, {
      listeners: `SASL_SSL://127.0.0.1:${node.brokerPort},CONTROLLER://127.0.0.1:${node.controllerPort}`,
      'advertised.listeners': `SASL_SSL://127.0.0.1:${node.brokerPort}`,
      // The controller listener stays on loopback without TLS: SCRAM cannot authenticate it (its users live in the
      // metadata the controllers serve). A real cluster puts it on a private network or uses mTLS (docs/operations.md).
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
      'inter.broker.listener.name': 'SASL_SSL',
      'sasl.enabled.mechanisms': SCRAM,
      'sasl.mechanism.inter.broker.protocol': SCRAM,
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${principals.admin}" password="${secure.adminPassword}";`,
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': secure.brokerPem,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': secure.ca,
      'ssl.client.auth': 'none',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      // ANONYMOUS is what brokers are on the loopback controller listener; no client listener lets anyone in as it.
      'super.users': `User:${principals.admin};User:ANONYMOUS`,
      'allow.everyone.if.no.acl.found': 'false',
    });
  }
  return `${withProperties(base, values)}\n`;
}

/** `kafka-storage format` arguments that create every principal's SCRAM credential with the cluster. */
export function scramFormatArgs(creds: Credentials): string[] {
  return Object.entries(principals).flatMap(([key, name]) => [
    '--add-scram',
    `${SCRAM}=[name=${name},password=${creds[key as Principal]}]`,
  ]);
}

// ---------------------------------------------------------------- clients

/** kafkajs settings of a principal on a secure stack (the stack scripts and the chaos suite use them). */
export function clientSecurity(stack: StackSpec, principal: Principal): Pick<kafkajs.KafkaConfig, 'ssl' | 'sasl'> {
  const creds = credentials(stack);
  return {
    ssl: { ca: readFileSync(path.join(secureDir(stack), 'ca.pem'), 'utf8'), rejectUnauthorized: true },
    sasl: { mechanism: 'scram-sha-512', username: principals[principal], password: creds[principal] },
  };
}

/** The environment an app runs with as a principal: Vigil's variables (docs/operations.md#security). */
export function principalEnv(stack: StackSpec, principal: Principal, mode: KafkaMode): Record<string, string> {
  const brokers = bootstrapOf(kafkaNodes(stack, mode));
  if (!mode.secure) return { KAFKA_BROKERS: brokers };
  return {
    KAFKA_BROKERS: brokers,
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SSL_CA_FILE: path.join(secureDir(stack), 'ca.pem'),
    KAFKA_SASL_MECHANISM: SCRAM,
    KAFKA_SASL_USERNAME: principals[principal],
    KAFKA_SASL_PASSWORD: credentials(stack)[principal],
  };
}

/** Writes `<principal>.env` files (0600) a person can `source` before running an app or the CLI against the stack. */
export function writePrincipalEnvFiles(stack: StackSpec, mode: KafkaMode): void {
  for (const principal of Object.keys(principals) as Principal[]) {
    const env = principalEnv(stack, principal, mode);
    const text = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v}'`)
      .join('\n');
    writeFileSync(path.join(secureDir(stack), `${principals[principal]}.env`), `${text}\n`, { mode: 0o600 });
    // The same, for programs (the test and chaos runners): no shell quoting to undo.
    writeFileSync(path.join(secureDir(stack), `${principals[principal]}.json`), `${JSON.stringify(env)}\n`, { mode: 0o600 });
  }
}

type Acl = {
  principal: Principal;
  resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID';
  name: string;
  prefixed: boolean;
  operations: ('READ' | 'WRITE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS' | 'IDEMPOTENT_WRITE' | 'CREATE' | 'ALTER_CONFIGS' | 'DELETE' | 'ALTER')[];
};

/** Every ACL the local secure stack creates; docs/operations.md lists the same ones as kafka-acls.sh commands. */
export const acls: readonly Acl[] = [
  { principal: 'producer', resourceType: 'TOPIC', name: 'audit.', prefixed: true, operations: ['WRITE', 'DESCRIBE'] },
  { principal: 'queryApi', resourceType: 'TOPIC', name: 'audit.', prefixed: true, operations: ['READ', 'WRITE', 'DESCRIBE'] },
  { principal: 'queryApi', resourceType: 'GROUP', name: 'vigil-query-live', prefixed: true, operations: ['READ', 'DESCRIBE'] },
  { principal: 'materializer', resourceType: 'TOPIC', name: 'audit.', prefixed: true, operations: ['READ', 'DESCRIBE'] },
  { principal: 'materializer', resourceType: 'TOPIC', name: 'audit.dlq', prefixed: false, operations: ['WRITE'] },
  { principal: 'materializer', resourceType: 'TOPIC', name: 'audit.application-change', prefixed: false, operations: ['WRITE'] },
  { principal: 'materializer', resourceType: 'GROUP', name: 'vigil-materializer', prefixed: true, operations: ['READ', 'DESCRIBE'] },
  { principal: 'connector', resourceType: 'TOPIC', name: 'audit.', prefixed: true, operations: ['READ', 'DESCRIBE'] },
  { principal: 'connector', resourceType: 'TOPIC', name: 'audit.dlq', prefixed: false, operations: ['WRITE'] },
  { principal: 'connector', resourceType: 'TOPIC', name: 'vigil.connector-control', prefixed: false, operations: ['READ', 'DESCRIBE'] },
  { principal: 'connector', resourceType: 'TOPIC', name: 'vigil.connector-status', prefixed: false, operations: ['WRITE', 'DESCRIBE'] },
  { principal: 'connector', resourceType: 'GROUP', name: 'vigil-connector', prefixed: true, operations: ['READ', 'DESCRIBE'] },
  { principal: 'connector', resourceType: 'GROUP', name: 'vigil-stream', prefixed: true, operations: ['READ', 'DESCRIBE'] },
  // publish, import, checkpoint, streams and dlq redrive write events and dead letters.
  {
    principal: 'operator',
    resourceType: 'TOPIC',
    name: 'audit.',
    prefixed: true,
    operations: ['READ', 'WRITE', 'DESCRIBE', 'DESCRIBE_CONFIGS'],
  },
  { principal: 'operator', resourceType: 'TOPIC', name: 'vigil.', prefixed: true, operations: ['READ', 'WRITE', 'DESCRIBE'] },
  { principal: 'operator', resourceType: 'GROUP', name: 'vigil-', prefixed: true, operations: ['READ', 'DESCRIBE', 'DELETE'] },
  // Its keyed records (replay checkpoints, pause and resume) go through kafkajs' idempotent producer.
  { principal: 'operator', resourceType: 'CLUSTER', name: 'kafka-cluster', prefixed: false, operations: ['IDEMPOTENT_WRITE', 'DESCRIBE'] },
];

/** Creates the ACLs (idempotent: Kafka keeps one binding per distinct ACL), as the admin principal. */
export async function applyAcls(stack: StackSpec, mode: KafkaMode): Promise<number> {
  const kafka = new kafkajs.Kafka({
    clientId: 'vigil-stack',
    brokers: bootstrapOf(kafkaNodes(stack, mode)).split(','),
    ...clientSecurity(stack, 'admin'),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const bindings = acls.flatMap((acl) =>
      acl.operations.map((operation) => ({
        resourceType: kafkajs.AclResourceTypes[acl.resourceType],
        resourceName: acl.name,
        resourcePatternType: acl.prefixed ? kafkajs.ResourcePatternTypes.PREFIXED : kafkajs.ResourcePatternTypes.LITERAL,
        principal: `User:${principals[acl.principal]}`,
        host: '*',
        operation: kafkajs.AclOperationTypes[operation],
        permissionType: kafkajs.AclPermissionTypes.ALLOW,
      })),
    );
    await admin.createAcls({ acl: bindings });
    return bindings.length;
  } finally {
    await admin.disconnect();
  }
}

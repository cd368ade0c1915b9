#!/usr/bin/env node
// Verify one clinigate approval bundle (Sigstore bundle v0.3, DSSE envelope) with stock sigstore-js,
// without clinigate: an auditor's independent check.
//
//   node sigstore_js_verify.mjs --trusted-root trusted_root.json --bundle approval.sigstore.json \
//       --san reviewer@hospital.example [--issuer URL] \
//       [--tlog-threshold N] [--ctlog-threshold N] [--tsa-threshold N]
//
// Prints "OK <bundle> <san>" and exits 0 when the bundle verifies; prints the error and exits 1 when
// it does not; exits 2 on bad usage (unknown option, missing file, sigstore-js not found).
//
// What it checks, all by @sigstore/verify: the DSSE signature over the envelope's PAE, the signing
// certificate's chain to a certificate authority of the trusted root at every verified time (RFC 3161
// tokens checked against the trusted root's timestampAuthorities, transparency-log inclusion
// promises), the transparency-log entries and the SCTs against the thresholds, and the identity:
// --san must equal the certificate's subject alternative name exactly (sigstore-js itself treats it as
// an unanchored regular expression, so it is escaped and anchored here), --issuer the Fulcio OIDC
// issuer extension.
//
// What it does NOT check: the in-toto statement inside the envelope. That the statement's subject
// digest is the approved document (and its predicate the expected decision) is the caller's check,
// done separately on the payload this script has verified.
//
// Thresholds (defaults 1/1/0, sigstore-js's keyless defaults): --tlog-threshold and --ctlog-threshold
// are the minimum transparency-log entries and SCTs. --tsa-threshold is passed as sigstore-js's
// timestampThreshold (and its deprecated alias tsaThreshold): the minimum number of verified times,
// RFC 3161 tokens and inclusion promises together. A clinigate PKI bundle (no log, no SCT, one RFC 3161
// token) is verified with --tlog-threshold 0 --ctlog-threshold 0 --tsa-threshold 1. sigstore-js
// checks a certificate only at verified times, never at "now": a bundle without any fails.
//
// Dependencies: only @sigstore/verify, @sigstore/bundle and @sigstore/protobuf-specs from npm (the
// versions clinigate tests against are pinned in its .ci/sigstore-js/package-lock.json). They are
// resolved as require() would from this script's folder (a node_modules beside it or in a parent
// folder, then the folders listed in NODE_PATH), and failing that from a node_modules in the current
// directory. So either `npm ci` beside this script, or run it with NODE_PATH=<install>/node_modules.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = 'usage: node sigstore_js_verify.mjs --trusted-root FILE --bundle FILE --san IDENTITY ' +
  '[--issuer URL] [--tlog-threshold N] [--ctlog-threshold N] [--tsa-threshold N]';

class UsageError extends Error {}

function loadSigstore() {
  const requirers = [createRequire(import.meta.url), createRequire(join(process.cwd(), 'noop.js'))];
  for (const require of requirers) {
    let verify;
    try {
      verify = require('@sigstore/verify');
    } catch (error) {
      if (error.code === 'MODULE_NOT_FOUND') continue;
      throw error;
    }
    // The same resolver for all three, so that they come from one install.
    return { verify, bundle: require('@sigstore/bundle'), specs: require('@sigstore/protobuf-specs') };
  }
  throw new UsageError('@sigstore/verify not found: run `npm ci` beside this script or in the current ' +
    'directory, or set NODE_PATH to the node_modules folder of an install');
}

function threshold(value, name, fallback) {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, got ${value}`);
  return Number(value);
}

function parse(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'trusted-root': { type: 'string' },
        bundle: { type: 'string' },
        san: { type: 'string' },
        issuer: { type: 'string' },
        'tlog-threshold': { type: 'string' },
        'ctlog-threshold': { type: 'string' },
        'tsa-threshold': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  for (const name of ['trusted-root', 'bundle', 'san']) {
    if (!values[name]) throw new UsageError(`--${name} is required`);
  }
  return {
    trustedRoot: values['trusted-root'],
    bundle: values.bundle,
    san: values.san,
    issuer: values.issuer,
    tlogThreshold: threshold(values['tlog-threshold'], '--tlog-threshold', 1),
    ctlogThreshold: threshold(values['ctlog-threshold'], '--ctlog-threshold', 1),
    tsaThreshold: threshold(values['tsa-threshold'], '--tsa-threshold', 0),
  };
}

function readText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error.message}`);
  }
}

function describe(error) {
  const parts = [];
  for (let cause = error; cause; cause = cause.cause) {
    const code = cause.code && typeof cause.code === 'string' ? `${cause.code}: ` : '';
    parts.push(`${code}${cause.message ?? String(cause)}`);
  }
  return parts.join(' <- ');
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function verify(options, sigstore) {
  const { Verifier, toSignedEntity, toTrustMaterial } = sigstore.verify;
  const trustedRoot = sigstore.specs.TrustedRoot.fromJSON(JSON.parse(readText(options.trustedRoot)));
  const bundle = sigstore.bundle.bundleFromJSON(JSON.parse(readText(options.bundle)));
  const verifier = new Verifier(toTrustMaterial(trustedRoot), {
    tlogThreshold: options.tlogThreshold,
    ctlogThreshold: options.ctlogThreshold,
    timestampThreshold: options.tsaThreshold,
    tsaThreshold: options.tsaThreshold,
  });
  const policy = { subjectAlternativeName: `^${escapeRegExp(options.san)}$` };
  if (options.issuer !== undefined) policy.extensions = { issuer: options.issuer };
  const signer = verifier.verify(toSignedEntity(bundle), policy);
  const san = signer.identity?.subjectAlternativeName;
  if (san !== options.san) throw new Error(`certificate identity is ${san}, expected exactly ${options.san}`);
}

function main() {
  let options;
  let sigstore;
  try {
    options = parse(process.argv.slice(2));
    sigstore = loadSigstore();
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  try {
    verify(options, sigstore);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`FAIL ${options.bundle}: ${describe(error)}\n`);
    return 1;
  }
  process.stdout.write(`OK ${options.bundle} ${options.san}\n`);
  return 0;
}

process.exitCode = main();

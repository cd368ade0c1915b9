"""An RFC 3161 time-stamping authority in a folder, answering with ``openssl ts -reply``.

The demo signs approvals with a trusted time, as a registry should (trust.yaml's
``pki.require_timestamp``), without a hospital TSA to ask: this one is trusted only in the
demo's folder, like the demo CA. rfc3161-client builds requests and verifies tokens but cannot
answer them, so the token is made by the openssl binary (its ``ts`` command)::

    tsa = OpensslTsa.create(workdir / ".demo-pki" / "tsa", "clinigate demo TSA")
    signer = PkiSigner(key_pem, cert_pem, timestamper=tsa.reply)
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..errors import EnvironmentProblem
from .local_ca import LocalCA

TSA_POLICY = "1.3.6.1.4.1.55555.1.1"  # a private-arc OID: the policy this TSA claims

_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.cert.pem
signer_key = $dir/tsa.key.pem
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


class TsaUnavailable(EnvironmentProblem):
    """The openssl binary is missing or cannot answer a timestamp query."""


def openssl_has_ts() -> bool:
    openssl = shutil.which("openssl")
    if openssl is None:
        return False
    return subprocess.run([openssl, "ts", "-help"], capture_output=True).returncode == 0


@dataclass
class OpensslTsa:
    """A TSA root, the TSA's own certificate under it, and ``reply`` answering DER queries."""

    directory: Path
    root: x509.Certificate  # what a trust configuration lists under pki.tsa_roots
    root_path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one serial file

    @classmethod
    def create(cls, directory: Path, name: str) -> OpensslTsa:
        if not openssl_has_ts():
            raise TsaUnavailable("the openssl binary (with its `ts` command) is needed to timestamp "
                                 "approvals locally", hint="install Debian's openssl package")
        ca = LocalCA.create(directory, f"{name} Root CA", stem="tsa-root")
        key_usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                  data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                  crl_sign=False, encipher_only=False, decipher_only=False)
        # RFC 3161 §2.3: the TSA certificate carries exactly one, critical, EKU: timeStamping.
        ca.issue("tsa", x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), "ecdsa",
                 [(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True), (key_usage, True)])
        (directory / "serial").write_text("01\n")
        (directory / "openssl.cnf").write_text(_CONFIG.format(dir=directory, policy=TSA_POLICY))
        return cls(directory, ca.certificate, ca.cert_path)

    def reply(self, query: bytes) -> bytes:
        """The DER TimeStampResp to a DER TimeStampReq."""
        with self._lock, tempfile.TemporaryDirectory(dir=self.directory) as work:
            query_path, reply_path = Path(work, "query.tsq"), Path(work, "reply.tsr")
            query_path.write_bytes(query)
            done = subprocess.run(
                ["openssl", "ts", "-reply", "-config", str(self.directory / "openssl.cnf"),
                 "-queryfile", str(query_path), "-signer", str(self.directory / "tsa.cert.pem"),
                 "-inkey", str(self.directory / "tsa.key.pem"), "-out", str(reply_path)],
                capture_output=True, text=True)
            if done.returncode != 0:
                raise TsaUnavailable(f"openssl ts -reply failed: {done.stderr.strip()[:300]}")
            return reply_path.read_bytes()

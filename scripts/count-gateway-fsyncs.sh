#!/bin/sh
# Counts fsync/fdatasync per gateway message: sealpost serve under strace -f -c,
# N messages of 10 KB (a text part and a base64 attachment) over 20 sessions.
# Usage: fsyncs.sh BINARY [N]
set -eu
BIN=$1; N=${2:-200}
D=$(mktemp -d); export SEALPOST_DATA_DIR=$D/data SEALPOST_LOG=warn
echo 'Bench-Passphrase-42' | $BIN user add --email ann@bench.example --first-name Ann --last-name Bench --password-stdin --mailbox-verified >/dev/null
NUM=$($BIN account create --name "Bench Corp" --admin ann@bench.example | tr -d '[:space:]')
TOKEN=$($BIN token create --account $NUM --name bench --scope smtp_submission | tr ' ' '\n' | grep '^sptk_' | head -1)
GP=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
HP=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
SEALPOST_GATEWAY_LISTEN=127.0.0.1:$GP strace -f -c -e trace=fsync,fdatasync -o $D/strace.txt $BIN serve --listen 127.0.0.1:$HP > $D/serve.log 2>&1 &
SP=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:$HP/healthz >/dev/null && break; sleep 0.2; done
python3 - "$GP" "$TOKEN" "$N" <<'PY'
import smtplib, sys, threading, base64, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
head = ("From: <ann@bench.example>\r\nTo: <dana@recipient.example>\r\nSubject: [secure] Benchmark\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Benchmark: the figures are attached.\r\n--b\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
        "Content-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
lines = (10240 - len(head) - 7) // 78
enc = base64.b64encode(bytes((i * 7 % 251) for i in range(lines * 57))).decode()
msg = head + "".join(enc[i:i+76] + "\r\n" for i in range(0, len(enc), 76)) + "--b--\r\n"
def send(k):
    for _ in range(k):
        s = smtplib.SMTP("127.0.0.1", port); s.ehlo("client.example.com"); s.login("relay", token)
        s.sendmail("ann@bench.example", ["dana@recipient.example"], msg.encode()); s.quit()
t0 = time.time()
ts = [threading.Thread(target=send, args=(n // 20,)) for _ in range(20)]
[t.start() for t in ts]; [t.join() for t in ts]
print(f"{n} messages in {time.time()-t0:.2f} s: {n/(time.time()-t0):.0f} msg/s")
PY
sleep 2
CHILD=$(pgrep -P $SP | head -1); kill -TERM $CHILD; wait $SP 2>/dev/null || true
cat $D/strace.txt
echo "per message: $(awk -v n=$N '/total/ {printf "%.2f", $4/n}' $D/strace.txt) fsync+fdatasync (incl. outbox delivery)"
rm -rf $D

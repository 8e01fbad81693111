"""Plain data shared by the harness modules: the plan of a run and one measured cell."""

from __future__ import annotations

from dataclasses import dataclass, field

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True)
class Plan:
    """How long and how big: quick mode and the default run differ only here."""

    quick: bool
    cell_seconds: float  # time box of one measurement
    concurrency: tuple[int, ...]  # small requests and 1 MiB objects
    large_cap: int  # 64 MiB objects and multipart parts: at most this many in flight
    mpu_levels: tuple[int, ...]  # concurrency levels of the multipart upload
    mpu_bytes: int
    list_keys: int  # the LIST bucket; the target is for 10 000 (quick mode scales the walk time)
    seed_small: int  # 4 KiB objects read by get4k/head/mixed
    seed_large: int  # 64 MiB objects read by get64m
    part_bytes: int = 16 * MIB
    populate_seconds: int = 60  # cap for filling the LIST bucket
    transfer_cap_seconds: int = 120  # cap for one multipart upload or seeding
    budget_seconds: int = 900  # whole run; cells past it are skipped

    @staticmethod
    def make(quick: bool, concurrency: tuple[int, ...] | None, seconds: float | None) -> Plan:
        if quick:
            return Plan(True, seconds or 0.4, concurrency or (1, 64), 4, (4,), 128 * MIB, 1_500, 300, 2,
                        populate_seconds=10, transfer_cap_seconds=20, budget_seconds=110)
        return Plan(False, seconds or 3.0, concurrency or (1, 16, 64), 16, (1, 16), 1 * GIB, 10_000, 1_000, 4)

    def levels(self, group: str) -> tuple[int, ...]:
        """Concurrency levels of a workload group: small, large, mpu or list."""
        if group == "list":
            return (1,)
        if group == "mpu":
            return self.mpu_levels
        cap = self.large_cap if group == "large" else 1 << 30
        return tuple(sorted({min(c, cap) for c in self.concurrency}))


@dataclass
class Cell:
    """One measurement: one workload at one concurrency against one server."""

    server: str
    workload: str
    concurrency: int
    ops: int = 0
    seconds: float = 0.0
    payload_bytes: int = 0  # object bytes moved (not headers)
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    rss_peak_mib: float | None = None
    tool: str = ""
    note: str = ""
    failed: bool = False
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.payload_bytes / self.seconds / 1e6 if self.seconds > 0 else 0.0


@dataclass
class ServerStatus:
    name: str
    role: str  # "subject", "peer" or "ceiling"
    state: str = "pending"  # ok, failed, skipped
    reason: str = ""
    version: str = ""
    start_seconds: float = 0.0
    wall_seconds: float = 0.0  # install, start, seeding, every cell and stop

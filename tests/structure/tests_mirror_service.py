#!/usr/bin/env python3
"""Fails when a test is filed away from what it tests.

tests/ mirrors service/: the tests of service/X/Y.cpp (or a header-only service/X/Y.hpp) sit in
tests/X/Y_test.cpp, so a reader finds a file's tests by its path and a misfiled test fails CI.
The folders below that test the whole binary or are tools, not tests of one file, are skipped; the
few test files that cannot follow the rule are listed with the reason.

Usage: tests_mirror_service.py [REPOSITORY_ROOT]   (default: the repository holding this script)
"""

import pathlib
import sys

# Folders of tests/ that are not a file's tests.
SKIPPED_FOLDERS = {
    "e2e": "the real binary end to end, by feature rather than by file",
    "support": "what the tests share: real Redis, the real binary, a raw socket client",
    "fake_stripe": "the stand-in for Stripe, a program of its own with its own tests",
    "bench": "benchmark tools",
    "fuzz": "libFuzzer targets",
    "sanitizers": "the ASan and UBSan build",
    "browser": "the example form in a real browser",
    "deploy": "checks of deploy/",
    "structure": "checks of the repository's layout",
}

# Test files, relative to tests/, that test a service file but cannot carry its name alone.
EXEMPT = {
    "redis/connection_sentinel_test.cpp":
        "redis/connection.cpp found through redis-sentinels (with sentinel.cpp and link.cpp); "
        "its fixture starts a primary, a replica and three sentinels",
    "redis/connection_tls_acl_test.cpp":
        "redis/connection.cpp over TLS and as an ACL user (link.cpp's handshake); its fixture "
        "starts redis-server with TLS and users",
    "pledges/pledge_stats_test.cpp":
        "pledges/pledge_store.cpp's stats hashes, which its scripts keep; apart from "
        "pledge_store_test.cpp for their own fixture and length",
    "http/outbound_request_test.cpp":
        "http/outbound_http.cpp's request text, pure: a unit test, while "
        "outbound_http_test.cpp needs the real binary (label e2e)",
    "config/reminder_settings_test.cpp":
        "config/settings.cpp's reminder flags, apart from settings_test.cpp for their fixture "
        "(the data key, link secret and notify secret files they need)",
    "reminders/reminder_scheduling_test.cpp":
        "reminder_book, reminder_store and reminder_scheduler together on one Redis, two "
        "schedulers racing: the feature's life cycle rather than one file's",
}


def counterpart_exists(service: pathlib.Path, relative: pathlib.PurePosixPath) -> bool:
    stem = relative.name[: -len("_test.cpp")]
    folder = service / relative.parent
    if folder.name == "scripts":
        # A store's Lua scripts (service/<feature>/scripts/*.lua) are tested table by table in
        # tests/<feature>/scripts/, one file for the store's scripts.
        return any(folder.glob("*.lua"))
    return (folder / f"{stem}.cpp").is_file() or (folder / f"{stem}.hpp").is_file()


def main() -> int:
    root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2]
    tests, service = root / "tests", root / "service"
    if not tests.is_dir() or not service.is_dir():
        print(f"{root} holds no tests/ and service/", file=sys.stderr)
        return 2

    problems = []
    seen_exempt = set()
    for path in sorted(tests.rglob("*_test.cpp")):
        relative = pathlib.PurePosixPath(path.relative_to(tests).as_posix())
        if relative.parts[0] in SKIPPED_FOLDERS or "node_modules" in relative.parts:
            continue
        has_counterpart = counterpart_exists(service, relative)
        key = str(relative)
        if key in EXEMPT:
            seen_exempt.add(key)
            if has_counterpart:
                problems.append(f"tests/{key}: service/ now has its counterpart; remove it from "
                                "EXEMPT in this script")
            continue
        if not has_counterpart:
            stem = relative.parent / relative.name[: -len("_test.cpp")]
            problems.append(f"tests/{key}: no service/{stem}.cpp or .hpp; move its tests beside "
                            "the file they test (tests/X/Y_test.cpp for service/X/Y.cpp)")
    for key in sorted(set(EXEMPT) - seen_exempt):
        problems.append(f"tests/{key}: exempt in this script but not there; remove it from EXEMPT")

    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} test file(s) do not mirror service/ "
              "(tests/structure/tests_mirror_service.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

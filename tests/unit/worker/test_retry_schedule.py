"""The worker's retry schedule and stop as the README and the k8s files state them."""

from __future__ import annotations


def test_the_readme_schedule_is_the_workers() -> None:
    """The retry table in the README gives, for every failed attempt it lists, the nominal
    delay the worker uses with the default 5 s base, and a range of half to all of it."""
    import re
    from pathlib import Path

    from checkout_links.worker.deliverer import backoff_bounds

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    rows = re.findall(r"^\s*\| (\d+) \| (\d+) \|", readme, flags=re.MULTILINE)
    assert [int(n) for n, _ in rows] == list(range(1, 15))
    for attempt, nominal in rows:
        low, high = backoff_bounds(int(attempt), 5.0)
        assert (low, high) == (int(nominal) / 2, int(nominal))


def test_the_worker_grace_period_fits_the_webhook_timeout() -> None:
    """The k8s worker's termination grace period covers one webhook timeout plus a 5 s margin
    (what SIGTERM waits for), and not much more (a stop does not hang for a minute)."""
    from pathlib import Path

    import yaml

    from checkout_links.core.config import Settings

    deploy = Path(__file__).resolve().parents[3] / "deploy" / "k8s"
    spec = yaml.safe_load((deploy / "worker-deployment.yaml").read_text())["spec"]["template"]
    config = yaml.safe_load((deploy / "configmap.yaml").read_text())["data"]
    timeout = float(
        config.get(
            "CHECKOUT_WEBHOOK_TIMEOUT_SECONDS",
            Settings.model_fields["webhook_timeout_seconds"].default,
        )
    )
    grace = spec["spec"]["terminationGracePeriodSeconds"]
    assert timeout + 5 <= grace <= timeout + 15

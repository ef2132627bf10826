from pydantic import Field

from socialcare.alerts.detector import DetectorConfig
from socialcare.settings import Settings

_DEFAULTS = DetectorConfig()


class AlertsSettings(Settings):
    alerts_app_id: str = Field(
        "socialcare-alerts",
        description="Faust app id of the alerts worker: its consumer group.",
    )
    alerts_web_port: int = Field(
        6072, description="Port of the alerts worker's /healthz, /readyz and /metrics."
    )
    alerts_bucket_seconds: float = Field(
        _DEFAULTS.bucket,
        gt=0,
        description="Granularity of the alert counts (event time, received_at): the window "
        "and the baseline move by this much.",
    )
    alerts_window_seconds: float = Field(
        _DEFAULTS.window,
        gt=0,
        description="The window whose counts are compared with the baseline (a spike is "
        "seen within about this long of its start).",
    )
    alerts_baseline_seconds: float = Field(
        _DEFAULTS.baseline,
        gt=0,
        description="The baseline: this long before the window. Memory grows with it (the "
        "counts of every term of every bucket).",
    )
    alerts_warmup_seconds: float = Field(
        _DEFAULTS.warmup,
        ge=0,
        description="No alert before the baseline covers this long (after a start or restart: "
        "the counts are kept in memory).",
    )
    alerts_factor: float = Field(
        _DEFAULTS.factor,
        gt=1,
        description="An alert opens when a count is this many times what the baseline "
        "expects (a term: its share of the events; an intent, language or platform count: "
        "its rate).",
    )
    alerts_min_count: int = Field(
        _DEFAULTS.min_count,
        ge=1,
        description="Events a term must be in within the window to open an alert.",
    )
    alerts_dimension_min_count: int = Field(
        _DEFAULTS.dimension_min_count,
        ge=1,
        description="Events an intent (x language x platform) count must have within the "
        "window to open an alert.",
    )
    alerts_clear_factor: float = Field(
        _DEFAULTS.clear_factor,
        ge=1,
        description="An alert clears once none of its counts is this many times the baseline "
        "(with half the minimum volume) any more.",
    )
    alerts_evaluate_seconds: float = Field(
        _DEFAULTS.evaluate_every,
        gt=0,
        description="How often (event time, and wall time on a quiet stream) the counts are "
        "compared and alerts opened, updated or cleared.",
    )

    alerts_recount_seconds: float | None = Field(
        None,
        ge=0,
        description="At start, count again the events consumed this long before the "
        "committed offsets (what the previous run had counted), so a restart neither "
        "misses a spike in progress nor leaves its alert open. Default: the baseline plus "
        "the window; 0 starts with empty counts.",
    )

    def recount_seconds(self) -> float:
        if self.alerts_recount_seconds is not None:
            return self.alerts_recount_seconds
        return self.alerts_baseline_seconds + self.alerts_window_seconds

    def detector_config(self) -> DetectorConfig:
        return DetectorConfig(
            bucket=self.alerts_bucket_seconds,
            window=self.alerts_window_seconds,
            baseline=self.alerts_baseline_seconds,
            warmup=self.alerts_warmup_seconds,
            factor=self.alerts_factor,
            min_count=self.alerts_min_count,
            dimension_min_count=self.alerts_dimension_min_count,
            clear_factor=self.alerts_clear_factor,
            evaluate_every=self.alerts_evaluate_seconds,
        )

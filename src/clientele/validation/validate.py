"""One call: split, fit the purchase model on the calibration period, compare with the holdout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from clientele.errors import InputError
from clientele.rfm import rfm_summary
from clientele.rfm.inputs import as_date, as_source, check_columns, unit_days
from clientele.validation.data import cohort_days
from clientele.validation.measures import (
    DEFAULT_MAX_FREQUENCY,
    conditional_expectations,
    holdout_errors,
    period_histogram,
    tracking,
)

#: purchase models that can be validated, by CLI name
MODELS = ("bgnbd", "mbgnbd", "paretonbd")


def make_model(name: str) -> Any:
    """A fresh purchase model from its name (``bgnbd``, ``mbgnbd`` or ``paretonbd``)."""
    from clientele.models import BGNBD, MBGNBD, ParetoNBD

    classes = {"bgnbd": BGNBD, "mbgnbd": MBGNBD, "paretonbd": ParetoNBD}
    key = str(name).lower().replace("/", "").replace("-", "").replace("_", "")
    if key not in classes:
        raise InputError(f"the model must be one of {', '.join(MODELS)}", column="model", value=name)
    return classes[key]()


@dataclass
class ValidationResult:
    """The outcome of :func:`validate`: the fitted model, the figures' tables and single figures.

    Attributes
    ----------
    model
        The purchase model fitted on the calibration period.
    rfm
        The calibration/holdout RFM table (one row per cohort customer).
    errors
        Single figures of :func:`~clientele.validation.measures.holdout_errors`.
    histogram, conditional, weekly
        Tables of :func:`~clientele.validation.measures.period_histogram`,
        :func:`~clientele.validation.measures.conditional_expectations` and
        :func:`~clientele.validation.measures.tracking`.
    """

    model_name: str
    model: Any
    calibration_end: dt.date
    observation_end: dt.date
    time_unit: str
    rfm: pd.DataFrame = field(repr=False)
    errors: dict[str, float]
    histogram: pd.DataFrame = field(repr=False)
    conditional: pd.DataFrame = field(repr=False)
    weekly: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: settings, parameters, single figures and the tables as records."""
        return {
            "model": self.model_name,
            "params": {k: float(v) for k, v in self.model.params_.items()},
            "calibration_end": self.calibration_end.isoformat(),
            "observation_end": self.observation_end.isoformat(),
            "time_unit": self.time_unit,
            "errors": self.errors,
            "histogram": self.histogram.reset_index().to_dict(orient="records"),
            "conditional": self.conditional.reset_index().to_dict(orient="records"),
            "weekly": [
                {**row, "start": row["start"].isoformat(), "end": row["end"].isoformat()}
                for row in self.weekly.to_dict(orient="records")
            ],
        }


def validate(
    transactions: Any,
    *,
    calibration_end: Any,
    observation_end: Any = None,
    model: str | Any = "bgnbd",
    time_unit: str = "W",
    max_frequency: int = DEFAULT_MAX_FREQUENCY,
    customer_col: str = "customer_key",
    timestamp_col: str = "timestamp",
) -> ValidationResult:
    """Fit a purchase model on the calibration period and compare it with the holdout period.

    Follows the validation of Fader, Hardie & Lee (2005), "Counting Your Customers the Easy
    Way", Marketing Science 24(2), section 4: the model is fitted on the repeat transactions up
    to ``calibration_end`` of the customers acquired by then; its predictions are compared
    with what these customers did afterwards up to ``observation_end``. On CDNOW (1997 Q1
    cohort, 39 + 39 weeks) BG/NBD expects about 1,653 holdout repeat transactions against
    1,882 actual.

    Parameters
    ----------
    transactions
        An ibis table, pandas/polars frame or :class:`clientele.store.Store` (its purchases).
    calibration_end
        Last day of the calibration period (date or ``YYYY-MM-DD``).
    observation_end
        Last day of the holdout period; default: the day of the last transaction.
    model
        ``"bgnbd"`` (default), ``"mbgnbd"``, ``"paretonbd"`` or an unfitted model instance.
    time_unit
        Time unit the model is fitted in (``W`` weeks by default, ``D`` days, ``M`` months).
    max_frequency
        Top bucket (``max_frequency``+) of the histogram and conditional expectations.
    customer_col, timestamp_col
        Column names of ``transactions``.

    Returns
    -------
    ValidationResult

    Raises
    ------
    clientele.errors.InputError
        Unknown model, bad dates (calibration end not before observation end, before the first
        transaction), missing columns, or an empty holdout.
    """
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise InputError("max_frequency must be a whole number >= 1", column="max_frequency", value=max_frequency)
    cal = as_date(calibration_end, "calibration_end")
    obs = last_day(transactions, timestamp_col, customer_col) if observation_end is None else as_date(
        observation_end, "observation_end"
    )
    if obs <= cal:
        raise InputError(
            f"the observation end {obs} must be after the calibration end {cal}: the holdout period is empty",
            column="observation_end",
            value=obs.isoformat(),
        )
    estimator = make_model(model) if isinstance(model, str) else model
    name = model if isinstance(model, str) else type(model).__name__.lower()
    rfm = rfm_summary(
        transactions,
        observation_end=obs,
        calibration_end=cal,
        time_unit=time_unit,
        customer_col=customer_col,
        timestamp_col=timestamp_col,
        amount_col=None,
    )
    estimator.fit(rfm)
    days = cohort_days(
        transactions, calibration_end=cal, observation_end=obs, customer_col=customer_col, timestamp_col=timestamp_col
    )
    return ValidationResult(
        model_name=str(name),
        model=estimator,
        calibration_end=cal,
        observation_end=obs,
        time_unit=str(time_unit).upper(),
        rfm=rfm,
        errors=holdout_errors(estimator, rfm),
        histogram=period_histogram(estimator, rfm, int(max_frequency)),
        conditional=conditional_expectations(estimator, rfm, int(max_frequency)),
        weekly=tracking(estimator, days, calibration_end=cal, observation_end=obs, unit_days=unit_days(time_unit)),
    )


def last_day(transactions: Any, timestamp_col: str = "timestamp", customer_col: str = "customer_key") -> dt.date:
    """The day of the last transaction (the default observation end)."""
    return date_range(transactions, timestamp_col, customer_col)[1]


def date_range(
    transactions: Any, timestamp_col: str = "timestamp", customer_col: str = "customer_key"
) -> tuple[dt.date, dt.date]:
    """The days of the first and the last transaction."""
    source = as_source(transactions)
    check_columns(source.table, customer_col=customer_col, timestamp_col=timestamp_col, amount_col=None)
    day = source.table[timestamp_col].cast("date")
    row = source.backend.to_pandas(source.table.aggregate(_first=day.min(), _last=day.max())).iloc[0]
    if row["_last"] is None or pd.isna(row["_last"]):
        raise InputError("there are no transactions to validate on", column=timestamp_col)
    return pd.Timestamp(row["_first"]).date(), pd.Timestamp(row["_last"]).date()


def default_calibration_end(transactions: Any, observation_end: Any = None, timestamp_col: str = "timestamp") -> dt.date:
    """The middle day between the first transaction and ``observation_end`` (default: the last one)."""
    first, last = date_range(transactions, timestamp_col)
    end = last if observation_end is None else as_date(observation_end, "observation_end")
    return first + dt.timedelta(days=max((end - first).days // 2, 0))

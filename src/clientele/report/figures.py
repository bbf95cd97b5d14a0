"""Plotly figures of the report, each built from a tidy frame of the library (no computation here).

Every figure shares one look (:func:`_style`): white background, the model in blue, actual
data in dark grey, the holdout shaded. Figures carry only aggregated data (at most a few
hundred points), so the report stays small whatever the number of customers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

ACTUAL = "#3b3b3b"
MODEL = "#1f6fb2"
ACCENT = "#d9822b"
BAND = "rgba(31, 111, 178, 0.18)"
PALETTE = ["#1f6fb2", "#d9822b", "#2e9e6b", "#c0392b", "#7d5ba6", "#8c6d31", "#5b7083", "#e377c2"]


def _style(fig: go.Figure, title: str, x: str, y: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 16}},
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        font={"family": "Helvetica, Arial, sans-serif", "size": 12},
    )
    return fig


# ------------------------------------------------------------------ validation
def period_histogram_figure(histogram: pd.DataFrame) -> go.Figure:
    """Customers by number of repeat transactions in calibration: actual vs model."""
    labels = histogram.index.astype(str).tolist()
    fig = go.Figure(
        [
            go.Bar(name="actual", x=labels, y=histogram["actual"], marker_color=ACTUAL),
            go.Bar(name="model", x=labels, y=histogram["model"].round(1), marker_color=MODEL),
        ]
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    return _style(fig, "Repeat transactions in the calibration period", "repeat transactions", "customers")


def tracking_figure(weekly: pd.DataFrame, calibration_end: dt.date, cumulative: bool) -> go.Figure:
    """Weekly (or cumulative) repeat transactions of the cohort: actual vs model, holdout shaded."""
    actual, model = ("actual_cumulative", "model_cumulative") if cumulative else ("actual", "model")
    x = pd.to_datetime(weekly["end"]).dt.strftime("%Y-%m-%d").tolist()
    fig = go.Figure(
        [
            go.Scatter(name="actual", x=x, y=weekly[actual], mode="lines", line={"color": ACTUAL, "width": 2}),
            go.Scatter(
                name="model", x=x, y=weekly[model].round(2), mode="lines", line={"color": MODEL, "width": 2, "dash": "dash"}
            ),
        ]
    )
    if len(weekly):
        fig.add_vrect(
            x0=calibration_end.isoformat(), x1=x[-1], fillcolor="rgba(0,0,0,0.05)", line_width=0,
            annotation_text="holdout", annotation_position="top left",
        )
    title = "Cumulative repeat transactions" if cumulative else "Weekly repeat transactions"
    return _style(fig, title, "week ending", "repeat transactions")


def conditional_figure(conditional: pd.DataFrame) -> go.Figure:
    """Mean holdout transactions by calibration frequency: actual vs model."""
    labels = conditional.index.astype(str).tolist()
    fig = go.Figure(
        [
            go.Scatter(
                name="actual", x=labels, y=conditional["actual"].round(3), mode="lines+markers", line={"color": ACTUAL}
            ),
            go.Scatter(
                name="model", x=labels, y=conditional["model"].round(3), mode="lines+markers",
                line={"color": MODEL, "dash": "dash"},
            ),
        ]
    )
    fig.update_xaxes(type="category")
    return _style(
        fig, "Holdout transactions by calibration frequency", "repeat transactions in calibration",
        "mean holdout transactions",
    )


# ------------------------------------------------------------------ value
def equity_over_time_figure(history: pd.DataFrame) -> go.Figure:
    """Customer equity at each month end, with its interval when computed."""
    x = pd.to_datetime(pd.Series(history.index)).dt.strftime("%Y-%m-%d").tolist()
    traces = []
    if {"lower", "upper"} <= set(history.columns) and history["lower"].notna().all():
        traces.append(
            go.Scatter(x=x, y=history["upper"].round(0), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        traces.append(
            go.Scatter(
                name="interval", x=x, y=history["lower"].round(0), mode="lines", line={"width": 0},
                fill="tonexty", fillcolor=BAND,
            )
        )
    traces.append(
        go.Scatter(
            name="customer equity", x=x, y=history["customer_equity"].round(0), mode="lines+markers",
            line={"color": MODEL, "width": 2},
        )
    )
    if "current_customers" in history.columns:
        traces.append(
            go.Scatter(
                name="current customers", x=x, y=history["current_customers"].round(0), mode="lines+markers",
                line={"color": ACCENT},
            )
        )
    return _style(go.Figure(traces), "Customer equity over time", "as of month end", "equity")


def clv_distribution_figure(bins: pd.DataFrame) -> go.Figure:
    """Customers per CLV bin (bins computed server-side by :func:`~clientele.report.tables.clv_histogram`)."""
    labels = [f"{lo:,.0f}+" if np.isinf(hi) else f"{lo:,.0f}-{hi:,.0f}" for lo, hi in zip(bins["low"], bins["high"])]
    fig = go.Figure(
        go.Bar(
            x=labels, y=bins["customers"], marker_color=MODEL, customdata=bins["equity"].round(0),
            hovertemplate="CLV %{x}<br>%{y:,} customers<br>equity %{customdata:,.0f}<extra></extra>",
        )
    )
    fig.update_layout(bargap=0.05)
    fig.update_xaxes(type="category")
    return _style(fig, "Distribution of customer lifetime value", "CLV", "customers")


def value_risk_figure(grid: pd.DataFrame) -> go.Figure:
    """Heatmap of equity by CLV tier x P(alive) band, each cell labelled with customers and equity."""
    tiers = list(dict.fromkeys(grid["clv_tier"]))
    bands = list(dict.fromkeys(grid["alive_band"]))
    equity = grid.pivot(index="clv_tier", columns="alive_band", values="equity").loc[tiers, bands]
    counts = grid.pivot(index="clv_tier", columns="alive_band", values="customers").loc[tiers, bands]
    text = [[f"{c:,} customers<br>{e:,.0f}" for c, e in zip(cr, er)] for cr, er in zip(counts.to_numpy(), equity.to_numpy())]
    fig = go.Figure(
        go.Heatmap(
            z=equity.to_numpy().round(0), x=bands, y=tiers, text=text, texttemplate="%{text}", textfont={"size": 11}, colorscale="Blues",
            colorbar={"title": "equity"}, hovertemplate="%{y}, P(alive) %{x}<br>%{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _style(
        fig, "Value x risk: equity by CLV tier and P(alive)", "probability the customer is still active", "CLV tier", 420
    )


def monthly_figure(monthly: pd.DataFrame, column: str, title: str, y: str) -> go.Figure:
    """One line per segment of ``column`` by month (frame indexed by month and segment)."""
    frame = monthly.reset_index()
    traces = []
    for i, (segment, part) in enumerate(frame.groupby("segment", sort=True)):
        width = 3 if segment == "all" else 1.5
        color = ACTUAL if segment == "all" else PALETTE[i % len(PALETTE)]
        traces.append(
            go.Scatter(
                name=str(segment), x=part["month"].astype(str).tolist(), y=part[column].round(3), mode="lines",
                line={"width": width, "color": color},
            )
        )
    return _style(go.Figure(traces), title, "month", y, 400)


def segment_bar_figure(table: pd.DataFrame, column: str, title: str, y: str) -> go.Figure:
    """A bar per segment of ``column`` (frame indexed by segment), the ``all`` row left out."""
    part = table.drop(index="all", errors="ignore")
    fig = go.Figure(go.Bar(x=part.index.astype(str).tolist(), y=part[column].round(2), marker_color=ACCENT))
    return _style(fig, title, "segment", y)


def nps_figure(nps: pd.DataFrame) -> go.Figure:
    """NPS of all respondents by month with its interval."""
    frame = nps.reset_index()
    frame = frame[frame["segment"] == "all"]
    x = frame["month"].astype(str).tolist()
    fig = go.Figure(
        [
            go.Scatter(x=x, y=frame["upper"].round(1), mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"),
            go.Scatter(
                name="interval", x=x, y=frame["lower"].round(1), mode="lines", line={"width": 0},
                fill="tonexty", fillcolor=BAND,
            ),
            go.Scatter(name="NPS", x=x, y=frame["nps"].round(1), mode="lines+markers", line={"color": MODEL, "width": 2}),
        ]
    )
    return _style(fig, "Net promoter score by month", "month", "NPS")

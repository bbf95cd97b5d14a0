"""Move the budget from products to customers: allocation by return on customer equity.

Data flows one way (Rust, Lemon & Zeithaml 2004, *Return on marketing: using customer equity to
focus marketing strategy*, Journal of Marketing 68(1)):

* :mod:`~clientele.budget.campaigns` — campaign records from the store (loaded as the
  ``campaigns`` kind), checked, with outcomes measured after each record;
* :mod:`~clientele.budget.response` — per segment x lever, a diminishing-returns response curve
  with bootstrap intervals;
* :mod:`~clientele.budget.lines` — each curve as customer equity bought per money spent;
* :mod:`~clientele.budget.solver` / :mod:`~clientele.budget.allocate` — the exact optimum under
  the budget, bounds and a largest shift; ROI and marginal ROI per line;
* :mod:`~clientele.budget.product` — the product-centric budget valued under the same curves and
  compared with the customer-centric plan;
* :mod:`~clientele.budget.sensitivity` — the tornado of each estimate at its low / high end;
* :mod:`~clientele.budget.plans` — plans stored by name, reviewed and approved;
* :mod:`~clientele.budget.from_store` — all of it from a store in one call.
"""

from __future__ import annotations

from clientele._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "Plan": "allocate",
        "allocate": "allocate",
        "evaluate": "allocate",
        "acquisition_cells": "campaigns",
        "campaign_records": "campaigns",
        "check_records": "campaigns",
        "BudgetResult": "from_store",
        "budget_from_store": "from_store",
        "default_membership": "from_store",
        "new_customer_value": "from_store",
        "BudgetLines": "lines",
        "build_lines": "lines",
        "segment_values": "lines",
        "approve_plan": "plans",
        "list_plans": "plans",
        "load_plan": "plans",
        "save_plan": "plans",
        "Comparison": "product",
        "compare_plans": "product",
        "reach_shares": "product",
        "read_current_budget": "product",
        "LEVERS": "response",
        "OUTCOMES": "response",
        "ResponseCurve": "response",
        "ResponseSet": "response",
        "fit_response": "response",
        "fit_responses": "response",
        "sensitivity": "sensitivity",
        "cutting_planes": "solver",
        "water_fill": "solver",
    },
)

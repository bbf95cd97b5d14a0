"""The demo company's budget: its campaign history, both plans, stored for review.

:func:`demo_budget` loads the demo's campaign records (:func:`clientele.demo.campaigns.generate_campaigns`)
through the store's ingestion, estimates the responses per hidden segment x lever, values the
product-centric budget, allocates the same money to the segment owners and stores both plans
(``demo product plan`` and ``demo customer plan``, as drafts). The store must be scored
(``clientele fit`` and ``clientele score``) first.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from clientele.budget.from_store import budget_from_store
from clientele.budget.plans import load_plan, save_plan
from clientele.errors import InputError

PRODUCT_PLAN = "demo product plan"
CUSTOMER_PLAN = "demo customer plan"
#: The customer managers of the demo's hidden segments.
OWNERS = {
    "young families": "Maya Okafor",
    "gadget lovers": "Jonas Berg",
    "bargain hunters": "Lucia Ferreira",
    "style seekers": "Amir Haddad",
}


def hidden_membership(store: Any, company: Any) -> pd.DataFrame:
    """``customer_key``, ``segment``: the demo's hidden segments by the store's customer keys."""
    ids = company.truth.identities[["source", "customer_id", "person_id"]]
    seg = company.truth.people.set_index("person_id")["segment"]
    keys = store.con.execute("SELECT source, customer_id, customer_key FROM identities").df()
    joined = keys.merge(ids, on=["source", "customer_id"], how="inner")
    joined["segment"] = joined["person_id"].map(seg)
    return joined[["customer_key", "segment"]].drop_duplicates("customer_key").reset_index(drop=True)


def demo_budget(
    store: Any, company: Any, *, seed: int | None = None, n_draws: int = 500, max_shift: float | None = None
) -> dict[str, Any]:
    """Load the demo campaigns and current budget, build both plans and store them.

    Returns
    -------
    dict
        ``load`` (the campaigns' load result), ``product`` and ``customer`` (plan totals),
        ``difference`` (customer minus product gain with its interval), ``plans`` (stored names),
        ``tornado`` (records), ``truth`` (the true responses, records).
    """
    from clientele.demo.campaigns import generate_campaigns

    seed = company.truth.seed if seed is None else seed
    campaigns, current, truth = generate_campaigns(company, seed=seed)
    result = store.load("campaigns", campaigns.drop(columns="source"), source="crm", file_label="demo campaigns")
    if result.quarantined:
        raise InputError(f"{result.quarantined} demo campaign records were quarantined (a store holding another "
                         "demo?); use a fresh --store")
    membership = hidden_membership(store, company)
    run = budget_from_store(store, current=current, membership=membership, owners=OWNERS, n_draws=n_draws,
                            seed=seed, max_shift=max_shift)
    names = []
    for plan, name in ((run.comparison.product, PRODUCT_PLAN), (run.comparison.customer, CUSTOMER_PLAN)):
        plan.inputs.setdefault("source", "clientele demo")
        if _is_approved(store, name):
            names.append(name)
            continue
        names.append(save_plan(store, plan, name, replace=True))
    return {
        "load": result.to_dict(),
        "product": run.comparison.product.totals,
        "customer": run.comparison.customer.totals,
        "difference": run.comparison.difference,
        "plans": names,
        "tornado": run.tornado.to_dict(orient="records") if run.tornado is not None else [],
        "truth": truth.to_dict(orient="records"),
    }


def _is_approved(store: Any, name: str) -> bool:
    try:
        return load_plan(store, name)["status"] == "approved"
    except InputError:
        return False

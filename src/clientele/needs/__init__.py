"""What each segment needs, with the evidence behind it.

* :func:`affinity`: the segment's share of spend per category or brand against the whole base, the
  lift, its bootstrap interval and the counts behind it;
* :func:`gaps`: categories the segment buys less than customers of similar value outside it;
* :class:`CoPurchaseRecommender` (item-to-item) and :class:`CategoryProfileRecommender`: next best
  products per customer, checked on a holdout period against popularity (:func:`evaluate`);
* :func:`distinctive_terms`: terms and phrases that set the segment's survey comments apart, with
  the NPS of the answers using them and example quotes;
* :func:`segment_needs` puts them together in :class:`Needs`, whose ``as_evidence()`` briefs store.
"""

from __future__ import annotations

from clientele._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "affinity": "affinity",
        "check_membership": "data",
        "purchase_lines": "data",
        "survey_answers": "data",
        "gaps": "gaps",
        "value_bands": "gaps",
        "Needs": "needs",
        "NeedsInputs": "needs",
        "demo_needs": "needs",
        "needs_for_segments": "needs",
        "segment_needs": "needs",
        "stored_membership": "needs",
        "CategoryProfileRecommender": "recommend",
        "CoPurchaseRecommender": "recommend",
        "Evaluation": "recommend",
        "PopularityRecommender": "recommend",
        "evaluate": "recommend",
        "distinctive_terms": "themes",
        "nps": "themes",
        "terms": "themes",
    },
)

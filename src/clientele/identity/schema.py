"""The store tables of identity resolution (created by store migration 2, whose SQL lives in
:mod:`clientele.store.migrations` so that a released migration never changes).

``customer_keys``
    ``(source, customer_id) -> customer_key`` for every record seen by the last resolution,
    with ``key_since`` (the key's age: its founding record's signup date) and the run that
    assigned it. Records loaded after the last run have no row; they count as their own key
    (``source:customer_id``) until the next run.
``key_changes``
    Every change of a record's key, with the run, time, old and new key and the reason.
``identity_overrides``
    The analyst's decisions (``link`` two records, ``split`` one record off), oldest first; they
    always win over the model.
``identity_links``
    The model's links of the last run (pairs at or above the threshold, their probability after
    competing candidates shared it and the model's own), so overrides can be applied without
    retraining.
``identity_labels``
    Known identities (``person_id`` per record, e.g. the demo's truth or a clerical review) that
    ``clientele resolve --evaluate`` measures against.
``resolve_runs``
    One row per run: engine, counts, the settings used and the trained model (JSON).
``identities`` (view)
    Every customer record with its customer key (stored, else the fallback key).
``purchases`` (view, redefined)
    As in migration 1, but ``customer_key`` is the stored key where one exists.
"""

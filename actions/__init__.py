"""Rasa custom actions: thin adapters from the tracker to services in ``bot``.

One module per feature. ``all_actions()`` lists every action; the action server
(actions/server.py) makes one instance of each with the process's backend.
"""

from __future__ import annotations


def all_actions() -> tuple[type, ...]:
    """Every action class the action server registers (imported here, not at package import)."""
    from actions.checkin import ActionCheckinHistory, ActionCheckinReset, ActionCheckinSubmit, ValidateCheckinForm
    from actions.fallback import ActionDefaultAskAffirmation
    from actions.feedback import ActionFeedback
    from actions.kennis import ActionKennisVervolg, ActionTelOnderwerp
    from actions.privacy import ActionDeleteMyData, ValidateDeleteForm
    from actions.roster import ActionRosterInfo, ActionSendLink, ValidateLinkForm
    from actions.scan import ActionScanReset, ActionScanSubmit, ValidateFundamentScanForm
    from actions.steun import ActionSchoolContacten, ActionSteun

    return (
        ValidateCheckinForm,
        ActionCheckinReset,
        ActionCheckinSubmit,
        ActionCheckinHistory,
        ActionDefaultAskAffirmation,
        ActionFeedback,
        ActionKennisVervolg,
        ActionTelOnderwerp,
        ValidateDeleteForm,
        ActionDeleteMyData,
        ValidateFundamentScanForm,
        ActionScanReset,
        ActionScanSubmit,
        ActionRosterInfo,
        ValidateLinkForm,
        ActionSendLink,
        ActionSteun,
        ActionSchoolContacten,
    )

"""The ticket lifecycle: states, who may do what in which state, and what the form asks.

Pure Python on purpose (no AWS import): every other module asks this one, and its
tests run in microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.errors import NotAllowed


class State(StrEnum):
    SENT = "sent"
    REFUSED = "refused"
    SCHEDULED = "scheduled"
    ON_SITE = "on_site"
    COMPLETION_REQUESTED = "completion_requested"
    COMPLETED = "completed"
    INVOICE_REQUESTED = "invoice_requested"
    INVOICED = "invoiced"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    QUOTE_REQUESTED = "quote_requested"
    QUOTE_SUBMITTED = "quote_submitted"
    QUOTE_REJECTED = "quote_rejected"


class Actor(StrEnum):
    CONTRACTOR = "contractor"
    MANAGER = "manager"
    SYSTEM = "system"
    OCCUPANT = "occupant"  # the resident whose place the contractor enters: only says "absent"


class Action(StrEnum):
    CREATE = "create"
    ACCEPT = "accept"
    REFUSE = "refuse"
    MESSAGE = "message"
    CANCEL = "cancel"
    RESCHEDULE = "reschedule"
    SUBMIT_QUOTE = "submit_quote"
    ACCEPT_QUOTE = "accept_quote"
    REJECT_QUOTE = "reject_quote"
    CHECK_PRESENCE = "check_presence"
    CONFIRM_PRESENCE = "confirm_presence"
    REQUEST_COMPLETION = "request_completion"
    COMPLETE = "complete"
    REQUEST_INVOICE = "request_invoice"
    SUBMIT_INVOICE = "submit_invoice"
    WAIVE_INVOICE = "waive_invoice"
    CLOSE = "close"
    REQUEST_QUOTE = "request_quote"
    REPORT_LATE = "report_late"
    COMPLETE_WITH_INVOICE = "complete_with_invoice"
    REMIND = "remind"
    ALERT_MANAGER = "alert_manager"
    MARK_READ = "mark_read"
    REASSIGN = "reassign"
    REASSIGN_QUOTE = "reassign_quote"
    CHANGE_OWNER = "change_owner"
    EDIT = "edit"
    OCCUPANT_ABSENT = "occupant_absent"
    REMIND_OCCUPANT = "remind_occupant"
    CHANGE_URGENCY = "change_urgency"
    REMIND_NOW = "remind_now"


class Step(StrEnum):
    """What the exchange form asks the contractor first."""

    ANSWER_REQUEST = "answer_request"
    SUBMIT_QUOTE = "submit_quote"
    AWAIT_QUOTE_DECISION = "await_quote_decision"
    AWAIT_INTERVENTION = "await_intervention"
    CONFIRM_PRESENCE = "confirm_presence"
    CONFIRM_COMPLETION = "confirm_completion"
    SEND_INVOICE = "send_invoice"
    NOTHING = "nothing"


class RequestKind(StrEnum):
    INTERVENTION = "intervention"
    QUOTE = "quote"


# Terminal states: the ticket no longer moves; the link dies some days after.
TERMINAL_STATES = frozenset({State.REFUSED, State.CLOSED, State.CANCELLED, State.QUOTE_REJECTED})
OPEN_STATES = frozenset(State) - TERMINAL_STATES
# The request may still be corrected: before the work is declared done.
EDITABLE_STATES = frozenset({State.SENT, State.QUOTE_REQUESTED, State.QUOTE_SUBMITTED, State.SCHEDULED, State.ON_SITE,
                             State.COMPLETION_REQUESTED})
# The contractor accepted: from here on they see the occupant's contact details.
ACCEPTED_STATES = frozenset({State.SCHEDULED, State.ON_SITE, State.COMPLETION_REQUESTED, State.COMPLETED,
                             State.INVOICE_REQUESTED, State.INVOICED, State.CLOSED})
# Where the contractor owes the next answer (a scheduled job only once its presence check went out).
AWAITING_CONTRACTOR = frozenset({State.SENT, State.QUOTE_REQUESTED, State.SCHEDULED, State.ON_SITE,
                                 State.COMPLETION_REQUESTED, State.COMPLETED, State.INVOICE_REQUESTED})


@dataclass(frozen=True)
class Transition:
    action: Action
    actor: Actor
    source: frozenset[State]
    target: State | None  # None: the state does not change (a message, a reschedule)


def _t(action: Action, actor: Actor, source: set[State] | frozenset[State], target: State | None) -> Transition:
    return Transition(action, actor, frozenset(source), target)


TRANSITIONS: tuple[Transition, ...] = (
    _t(Action.ACCEPT, Actor.CONTRACTOR, {State.SENT}, State.SCHEDULED),
    _t(Action.REFUSE, Actor.CONTRACTOR, {State.SENT, State.QUOTE_REQUESTED}, State.REFUSED),
    _t(Action.RESCHEDULE, Actor.CONTRACTOR, {State.SCHEDULED}, None),
    _t(Action.REMIND, Actor.SYSTEM, {State.SENT, State.QUOTE_REQUESTED}, None),
    _t(Action.REQUEST_QUOTE, Actor.MANAGER, {State.SENT, State.SCHEDULED}, State.QUOTE_REQUESTED),
    _t(Action.SUBMIT_QUOTE, Actor.CONTRACTOR, {State.QUOTE_REQUESTED}, State.QUOTE_SUBMITTED),
    _t(Action.ACCEPT_QUOTE, Actor.MANAGER, {State.QUOTE_SUBMITTED}, State.SENT),
    _t(Action.REJECT_QUOTE, Actor.MANAGER, {State.QUOTE_SUBMITTED}, State.QUOTE_REJECTED),
    _t(Action.CHECK_PRESENCE, Actor.SYSTEM, {State.SCHEDULED}, None),
    _t(Action.CONFIRM_PRESENCE, Actor.CONTRACTOR, {State.SCHEDULED}, State.ON_SITE),
    _t(Action.REPORT_LATE, Actor.CONTRACTOR, {State.SCHEDULED}, None),
    _t(Action.REQUEST_COMPLETION, Actor.MANAGER, {State.SCHEDULED, State.ON_SITE}, State.COMPLETION_REQUESTED),
    _t(Action.REQUEST_COMPLETION, Actor.SYSTEM, {State.ON_SITE}, State.COMPLETION_REQUESTED),
    _t(Action.COMPLETE, Actor.CONTRACTOR, {State.SCHEDULED, State.ON_SITE, State.COMPLETION_REQUESTED}, State.COMPLETED),
    _t(Action.COMPLETE_WITH_INVOICE, Actor.CONTRACTOR, {State.SCHEDULED, State.ON_SITE, State.COMPLETION_REQUESTED},
       State.INVOICED),
    _t(Action.REQUEST_INVOICE, Actor.SYSTEM, {State.COMPLETED, State.INVOICE_REQUESTED}, State.INVOICE_REQUESTED),
    _t(Action.REQUEST_INVOICE, Actor.MANAGER, {State.COMPLETED, State.INVOICE_REQUESTED}, State.INVOICE_REQUESTED),
    _t(Action.SUBMIT_INVOICE, Actor.CONTRACTOR, {State.COMPLETED, State.INVOICE_REQUESTED}, State.INVOICED),
    _t(Action.WAIVE_INVOICE, Actor.MANAGER, {State.COMPLETED, State.INVOICE_REQUESTED}, State.INVOICED),
    _t(Action.CLOSE, Actor.MANAGER, {State.INVOICED}, State.CLOSED),
    _t(Action.CANCEL, Actor.MANAGER, OPEN_STATES, State.CANCELLED),
    # Timers tell the manager when something did not happen in time; the state does not move.
    _t(Action.ALERT_MANAGER, Actor.SYSTEM, OPEN_STATES, None),
    # The thread is open at every step, including after the ticket ended, while the link lives.
    _t(Action.MESSAGE, Actor.CONTRACTOR, frozenset(State), None),
    _t(Action.MESSAGE, Actor.MANAGER, frozenset(State), None),
    _t(Action.MARK_READ, Actor.MANAGER, frozenset(State), None),
    _t(Action.EDIT, Actor.MANAGER, EDITABLE_STATES, None),
    _t(Action.OCCUPANT_ABSENT, Actor.OCCUPANT, OPEN_STATES, None),
    _t(Action.REMIND_OCCUPANT, Actor.SYSTEM, {State.SCHEDULED}, None),
    _t(Action.CHANGE_OWNER, Actor.MANAGER, OPEN_STATES | {State.REFUSED}, None),  # refused: still to hand to someone
    # The urgency decides how fast timers chase (chalicelib/usecases/urgency.py): it may change while the ticket is open.
    _t(Action.CHANGE_URGENCY, Actor.MANAGER, OPEN_STATES, None),
    # "Relancer l'intervenant": the step's reminder at once, where the contractor has something to answer.
    _t(Action.REMIND_NOW, Actor.MANAGER, AWAITING_CONTRACTOR, None),
    # Another contractor takes the request: the old link dies, the new one asks again. A refused
    # request too: the manager sends it to someone else rather than writing it out again.
    _t(Action.REASSIGN, Actor.MANAGER, {State.SENT, State.SCHEDULED, State.REFUSED}, State.SENT),
    _t(Action.REASSIGN_QUOTE, Actor.MANAGER, {State.QUOTE_REQUESTED, State.REFUSED}, State.QUOTE_REQUESTED),
)

_BY_KEY: dict[tuple[Action, Actor], Transition] = {(t.action, t.actor): t for t in TRANSITIONS}


def is_allowed(state: State, action: Action, actor: Actor) -> bool:
    transition = _BY_KEY.get((action, actor))
    return transition is not None and state in transition.source


def next_state(state: State, action: Action, actor: Actor) -> State:
    """The state after `actor` does `action`; raises NotAllowed when it may not."""
    transition = _BY_KEY.get((action, actor))
    if transition is None or state not in transition.source:
        raise NotAllowed(state, action, actor)
    return transition.target or state


def initial_state(kind: RequestKind) -> State:
    return State.QUOTE_REQUESTED if kind is RequestKind.QUOTE else State.SENT


def allowed_actions(state: State, actor: Actor, *, quote_accepted: bool = False) -> list[Action]:
    """Actions `actor` may take now, in the table's order (drives which buttons show). Once a quote
    is accepted, the request it became is not sent back for another quote (reassigning starts over)."""
    seen: list[Action] = []
    for t in TRANSITIONS:
        if t.actor is actor and state in t.source and t.action not in seen:
            seen.append(t.action)
    return [a for a in seen if not (quote_accepted and a is Action.REQUEST_QUOTE)]


_STEP_BY_STATE: dict[State, Step] = {
    State.SENT: Step.ANSWER_REQUEST,
    State.QUOTE_REQUESTED: Step.SUBMIT_QUOTE,
    State.QUOTE_SUBMITTED: Step.AWAIT_QUOTE_DECISION,
    State.SCHEDULED: Step.AWAIT_INTERVENTION,
    State.ON_SITE: Step.CONFIRM_COMPLETION,
    State.COMPLETION_REQUESTED: Step.CONFIRM_COMPLETION,
    State.COMPLETED: Step.SEND_INVOICE,
    State.INVOICE_REQUESTED: Step.SEND_INVOICE,
}


def occupant_visible_to_contractor(state: State) -> bool:
    """The occupant's contact details are the contractor's only once they accepted the request."""
    return state in ACCEPTED_STATES


def contractor_step(state: State, presence_requested: bool = False) -> Step:
    """What the form asks first. A presence check turns the waiting step into a button."""
    if state is State.SCHEDULED and presence_requested:
        return Step.CONFIRM_PRESENCE
    return _STEP_BY_STATE.get(state, Step.NOTHING)

"""The ticket lifecycle: who may do what in which state, and what the form asks first."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.domain.lifecycle import (
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    Action,
    Actor,
    NotAllowed,
    RequestKind,
    State,
    Step,
    Transition,
    allowed_actions,
    contractor_step,
    initial_state,
    is_allowed,
    next_state,
)


def _id(t: Transition) -> str:
    return f"{t.actor}-{t.action}"


def _allowed_pairs(action: Action) -> set[tuple[State, Actor]]:
    return {(s, t.actor) for t in TRANSITIONS if t.action is action for s in t.source}


def test_each_action_has_at_most_one_rule_per_actor() -> None:
    keys = [(t.action, t.actor) for t in TRANSITIONS]
    assert len(keys) == len(set(keys)), "a later rule would silently replace an earlier one"


@pytest.mark.parametrize("transition", TRANSITIONS, ids=_id)
def test_allowed_actor_in_allowed_state_reaches_the_target(transition: Transition) -> None:
    for state in transition.source:
        expected = transition.target or state
        assert next_state(state, transition.action, transition.actor) is expected
        assert is_allowed(state, transition.action, transition.actor)
        assert transition.action in allowed_actions(state, transition.actor)


@pytest.mark.parametrize("transition", TRANSITIONS, ids=_id)
def test_every_other_state_and_actor_is_refused(transition: Transition) -> None:
    allowed = _allowed_pairs(transition.action)
    refused = [(s, a) for s, a in itertools.product(State, Actor) if (s, a) not in allowed]
    for state, actor in refused:
        assert not is_allowed(state, transition.action, actor)
        with pytest.raises(NotAllowed) as caught:
            next_state(state, transition.action, actor)
        assert (caught.value.state, caught.value.action, caught.value.actor) == (state, transition.action, actor)


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
@pytest.mark.parametrize("actor", list(Actor))
def test_a_finished_ticket_only_takes_messages(state: State, actor: Actor) -> None:
    # Marking the thread read is the manager's bookkeeping, not a change of the ticket. A refused
    # request can still go to another contractor (see the next test), and to another manager first.
    still_open = {Action.MESSAGE, Action.MARK_READ}
    if state is State.REFUSED and actor is Actor.MANAGER:
        still_open |= {Action.REASSIGN, Action.REASSIGN_QUOTE, Action.CHANGE_OWNER}
    assert set(allowed_actions(state, actor)) <= still_open
    for action in Action:
        if action in still_open:
            continue
        with pytest.raises(NotAllowed):
            next_state(state, action, actor)


def test_a_refused_request_goes_to_another_contractor_as_what_was_refused() -> None:
    assert next_state(State.REFUSED, Action.REASSIGN, Actor.MANAGER) is State.SENT
    assert next_state(State.REFUSED, Action.REASSIGN_QUOTE, Actor.MANAGER) is State.QUOTE_REQUESTED
    assert next_state(State.REFUSED, Action.CHANGE_OWNER, Actor.MANAGER) is State.REFUSED  # a colleague will hand it on
    for actor in (Actor.CONTRACTOR, Actor.SYSTEM):
        with pytest.raises(NotAllowed):
            next_state(State.REFUSED, Action.REASSIGN, actor)


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("actor", [Actor.CONTRACTOR, Actor.MANAGER])
def test_the_thread_stays_open_at_every_step(state: State, actor: Actor) -> None:
    assert next_state(state, Action.MESSAGE, actor) is state


@pytest.mark.parametrize("state", list(State))
def test_the_manager_can_cancel_exactly_the_open_tickets(state: State) -> None:
    if state in OPEN_STATES:
        assert next_state(state, Action.CANCEL, Actor.MANAGER) is State.CANCELLED
    else:
        with pytest.raises(NotAllowed):
            next_state(state, Action.CANCEL, Actor.MANAGER)


def test_the_contractor_cannot_cancel() -> None:
    with pytest.raises(NotAllowed):
        next_state(State.SENT, Action.CANCEL, Actor.CONTRACTOR)


EXPECTED_STEP = {
    State.SENT: Step.ANSWER_REQUEST,
    State.QUOTE_REQUESTED: Step.SUBMIT_QUOTE,
    State.QUOTE_SUBMITTED: Step.AWAIT_QUOTE_DECISION,
    State.SCHEDULED: Step.AWAIT_INTERVENTION,
    State.ON_SITE: Step.CONFIRM_COMPLETION,
    State.COMPLETION_REQUESTED: Step.CONFIRM_COMPLETION,
    State.COMPLETED: Step.SEND_INVOICE,
    State.INVOICE_REQUESTED: Step.SEND_INVOICE,
    State.INVOICED: Step.NOTHING,
    State.CLOSED: Step.NOTHING,
    State.REFUSED: Step.NOTHING,
    State.CANCELLED: Step.NOTHING,
    State.QUOTE_REJECTED: Step.NOTHING,
}


def test_every_state_has_an_expected_step() -> None:
    assert set(EXPECTED_STEP) == set(State)


@pytest.mark.parametrize(("state", "step"), EXPECTED_STEP.items(), ids=lambda v: str(v))
def test_the_form_asks_the_step_of_the_state(state: State, step: Step) -> None:
    assert contractor_step(state) is step


@pytest.mark.parametrize("state", list(State))
def test_a_presence_check_turns_only_the_waiting_step_into_a_confirmation(state: State) -> None:
    expected = Step.CONFIRM_PRESENCE if state is State.SCHEDULED else EXPECTED_STEP[state]
    assert contractor_step(state, presence_requested=True) is expected


def test_an_intervention_request_starts_as_sent() -> None:
    assert initial_state(RequestKind.INTERVENTION) is State.SENT


def test_a_quote_request_starts_as_quote_requested() -> None:
    assert initial_state(RequestKind.QUOTE) is State.QUOTE_REQUESTED


def test_the_manager_of_a_sent_request_sees_cancel_but_not_accept() -> None:
    actions = allowed_actions(State.SENT, Actor.MANAGER)
    assert Action.CANCEL in actions
    assert Action.ACCEPT not in actions
    assert Action.MESSAGE in actions


@pytest.mark.parametrize("state", [State.SENT, State.SCHEDULED])
def test_a_request_whose_quote_was_accepted_is_not_sent_back_for_another_quote(state: State) -> None:
    assert Action.REQUEST_QUOTE in allowed_actions(state, Actor.MANAGER)
    accepted = allowed_actions(state, Actor.MANAGER, quote_accepted=True)
    assert Action.REQUEST_QUOTE not in accepted and Action.CANCEL in accepted


def test_the_contractor_of_a_sent_request_may_accept_refuse_or_write() -> None:
    assert allowed_actions(State.SENT, Actor.CONTRACTOR) == [Action.ACCEPT, Action.REFUSE, Action.MESSAGE]


def test_refusing_twice_is_not_allowed() -> None:
    after = next_state(State.SENT, Action.REFUSE, Actor.CONTRACTOR)
    assert after is State.REFUSED
    with pytest.raises(NotAllowed):
        next_state(after, Action.REFUSE, Actor.CONTRACTOR)

"""The units bench/cost.py bills: SMS parts as carriers count them, DynamoDB sizes and units."""

from __future__ import annotations

from bench.cost import item_size, read_units, sms_parts, write_units


def test_a_gsm_text_is_one_part_up_to_160_then_153_per_part() -> None:
    assert sms_parts("a" * 160) == (1, "GSM-7")
    assert sms_parts("a" * 161) == (2, "GSM-7")
    assert sms_parts("a" * 306) == (2, "GSM-7") and sms_parts("a" * 307) == (3, "GSM-7")
    assert sms_parts("é" * 160) == (1, "GSM-7")  # é, è, à are in the GSM alphabet
    assert sms_parts("€" * 80) == (1, "GSM-7") and sms_parts("€" * 81) == (2, "GSM-7")  # escape: 2 septets


def test_one_character_outside_gsm_makes_the_whole_text_ucs2() -> None:
    assert sms_parts("a" * 69 + "·") == (1, "UCS-2")
    assert sms_parts("a" * 70 + "·") == (2, "UCS-2")
    assert sms_parts("n°" + "a" * 132) == (2, "UCS-2") and sms_parts("n°" + "a" * 133) == (3, "UCS-2")
    assert sms_parts("ç" + "a" * 69) == (1, "UCS-2")  # only the capital Ç is GSM
    assert sms_parts("😀" * 35) == (1, "UCS-2") and sms_parts("😀" * 36) == (2, "UCS-2")  # surrogate pairs


def test_item_sizes_and_units_follow_dynamodb_rules() -> None:
    item = {"pk": {"S": "TICKET#1"}, "n": {"N": "-12.50"}, "ok": {"BOOL": True},
            "tags": {"L": [{"S": "ab"}, {"N": "7"}]}, "m": {"M": {"k": {"S": "v"}}}}
    # name bytes + value: S = utf-8 bytes; N = (significant digits + 1) // 2 + 1; BOOL 1;
    # L and M = 3 + 1 per element (+ the key's bytes in a map).
    assert item_size(item) == (2 + 8) + (1 + 3) + (2 + 1) + (4 + 3 + (1 + 2) + (1 + 2)) + (1 + 3 + (1 + 1 + 1))
    assert write_units(0) == 1 and write_units(1024) == 1 and write_units(1025) == 2
    assert read_units(4096, 0.5) == 0.5 and read_units(4097, 1.0) == 2.0

"""The offline sentence splitter and word tokenizer, on the shapes news text throws at them."""
from __future__ import annotations

import pytest
from sumy.models.dom import Sentence

from digest.text.sentences import (
    SentenceTokenizer,
    language_name,
    split_sentences,
    stop_words_for,
    tokenize_words,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Hale flew to Lisbon. He met Dr. Ortiz there.",
            ["Mr. Hale flew to Lisbon.", "He met Dr. Ortiz there."],
        ),
        (
            "The talks start on Jan. 20 in Geneva. Both sides agreed.",
            ["The talks start on Jan. 20 in Geneva.", "Both sides agreed."],
        ),
        (
            "Sales reached $1.13bn, up 4.5%. Costs fell.",
            ["Sales reached $1.13bn, up 4.5%.", "Costs fell."],
        ),
        (
            "U.S. President Tom Reyes spoke at 9 a.m. Monday. Aides said little.",
            ["U.S. President Tom Reyes spoke at 9 a.m. Monday.", "Aides said little."],
        ),
        (
            "The deal was cleared in the U.S. The rest of the world may follow.",
            ["The deal was cleared in the U.S.", "The rest of the world may follow."],
        ),
        (
            "Shares in Acme Inc. rose. Acme Inc. The firm said nothing.",
            ["Shares in Acme Inc. rose.", "Acme Inc.", "The firm said nothing."],
        ),
        (
            "The novel is by J. R. Moss. Critics loved it.",
            ["The novel is by J. R. Moss.", "Critics loved it."],
        ),
        (
            'He said: "We will rebuild." Then he left.',
            ['He said: "We will rebuild."', "Then he left."],
        ),
        (
            '"Is it over?" she asked. Nobody answered.',
            ['"Is it over?" she asked.', "Nobody answered."],
        ),
        (
            "We waited... And waited. Yahoo! shares fell.",
            ["We waited...", "And waited.", "Yahoo! shares fell."],
        ),
        (
            "The probe was run by the SEC. The firm paid a fine.",
            ["The probe was run by the SEC.", "The firm paid a fine."],
        ),
        (
            "Gen. Kowal visited No. 10 on Friday. It went well.",
            ["Gen. Kowal visited No. 10 on Friday.", "It went well."],
        ),
    ],
)
def test_english_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_paragraph_and_line_breaks_end_sentences_but_wrapped_lines_join() -> None:
    text = "Headline without a stop\nThe story starts here and\ncontinues on the next line. Second one.\n\nNew paragraph"
    assert split_sentences(text) == [
        "Headline without a stop",
        "The story starts here and continues on the next line.",
        "Second one.",
        "New paragraph",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Президент В. Зеленський прибув до Львова. Там він зустрівся з мером.",
            ["Президент В. Зеленський прибув до Львова.", "Там він зустрівся з мером."],
        ),
        (
            "Вибух пролунав на вул. Січових Стрільців. Поранених немає.",
            ["Вибух пролунав на вул. Січових Стрільців.", "Поранених немає."],
        ),
        (
            "«Ми вистоїмо», — сказав він. Що далі? Побачимо!",
            ["«Ми вистоїмо», — сказав він.", "Що далі?", "Побачимо!"],
        ),
        (
            "Ціна зросла до 41,5 грн. за долар у м. Одеса. Це рекорд.",
            ["Ціна зросла до 41,5 грн. за долар у м. Одеса.", "Це рекорд."],
        ),
        (
            "Він сказав «так». Вона — «ні».",
            ["Він сказав «так».", "Вона — «ні»."],
        ),
    ],
)
def test_ukrainian_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "uk") == expected


def test_caseless_scripts_split_at_full_width_stops() -> None:
    assert split_sentences("今天下雨。我们在家！你呢？好", "zh") == ["今天下雨。", "我们在家！", "你呢？", "好"]


def test_empty_and_blank_text() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t") == []


def test_words_drop_numbers_and_possessives_and_join_acronyms() -> None:
    assert tokenize_words("Kyiv's U.S. allies sent 40 well-made drones, don't they?") == [
        "Kyiv", "US", "allies", "sent", "well-made", "drones", "don't", "they",
    ]
    assert tokenize_words("Зеленський заявив: «Ми готові»", "uk") == ["Зеленський", "заявив", "Ми", "готові"]
    assert tokenize_words("我们在家", "zh") == ["我", "们", "在", "家"]


def test_languages_resolve_offline() -> None:
    assert language_name("en") == "english"
    assert language_name("uk") == "ukrainian"
    assert language_name("Ukrainian") == "ukrainian"
    assert "але" in stop_words_for("uk")
    assert stop_words_for("xx-unknown") == frozenset()


def test_known_codes_name_languages_as_sumy_does() -> None:
    """The codes digest names without pycountry's table give sumy's own names, and so do the others."""
    from sumy.utils import normalize_language

    from digest.text.sentences import _KNOWN_CODES, _iso_name

    for code, name in _KNOWN_CODES.items():
        assert _iso_name(code) == name, code
        assert language_name(code) == name
    assert {"en", "eng", "uk", "ukr", "de", "el"} <= _KNOWN_CODES.keys()
    for code in ("sw", "ga", "fa", "mnw", "nb"):  # codes outside the map still resolve through pycountry
        assert code not in _KNOWN_CODES
        assert language_name(code) == normalize_language(code).split(" (")[0], code
    assert language_name("pt-BR") == "pt-br"  # a tag with a region is no ISO 639 code


@pytest.mark.parametrize("lang", ["en", "de", "fr", "ru", "uk", "cs", "el", "ar", "zh", "sw", "xx"])
def test_stemmers_are_sumys(lang: str) -> None:
    """Each language's stemmer stems as sumy's `Stemmer` of that language does, or is missing for the same reason."""
    from sumy.nlp.stemmers import Stemmer

    from digest.text.sentences import missing_stemmer, stemmer_for

    words = ["running", "organizations", "universities", "Häuser", "маршрутами", "вистояв", "χώρες", "المدارس"]
    try:
        sumys = Stemmer(language_name(lang) or lang)
        sumys("words")  # Greek's and Polish's load their package here
    except (LookupError, ValueError, ImportError) as exc:
        assert missing_stemmer(lang) == str(exc).split(". ")[0].rstrip(".")
        return
    assert missing_stemmer(lang) is None
    assert [stemmer_for(lang)(word) for word in words] == [sumys(word) for word in words]


def test_tokenizer_plugs_into_sumy() -> None:
    tokenizer = SentenceTokenizer("uk")
    assert tokenizer.language == "ukrainian"
    assert tokenizer.to_sentences("Перше речення. Друге речення.") == ("Перше речення.", "Друге речення.")
    assert Sentence("Київ вистояв.", tokenizer).words == ("Київ", "вистояв")


def test_german_ordinal_dates_do_not_end_a_sentence() -> None:
    text = "Das Gesetz wurde am 3. März unterzeichnet und tritt sofort in Kraft. Er kam am 3. Das war gut."
    assert split_sentences(text, "de") == [
        "Das Gesetz wurde am 3. März unterzeichnet und tritt sofort in Kraft.", "Er kam am 3.", "Das war gut."]
    assert split_sentences("Im 20. Jahrhundert wuchs die Stadt. Sie hat heute 2 Mio. Einwohner.", "de")[0] == (
        "Im 20. Jahrhundert wuchs die Stadt.")
    assert split_sentences("He scored 3. Then he left.", "en") == ["He scored 3.", "Then he left."]


def test_the_danda_ends_bengali_and_hindi_sentences() -> None:
    assert split_sentences("আমি ভাত খাই। তুমি কি খাও? সে বাড়ি যায়।", "bn") == ["আমি ভাত খাই।", "তুমি কি খাও?", "সে বাড়ি যায়।"]
    assert split_sentences("वह घर गया। वह सो गया।", "hi") == ["वह घर गया।", "वह सो गया।"]


def test_a_module_put_off_until_first_use_is_the_real_one_then(monkeypatch: pytest.MonkeyPatch) -> None:
    """What digest.text.sentences does with requests (sumy imports it, digest never calls it), on a
    module of the standard library: `import` finds the stand-in, its first name asked loads the real one."""
    import sys

    from digest.text.sentences import _OnFirstUse

    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    stand_in = _OnFirstUse("colorsys")
    monkeypatch.setitem(sys.modules, "colorsys", stand_in)
    import colorsys

    assert colorsys is stand_in and "rgb_to_hsv" not in vars(stand_in)
    assert colorsys.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    assert sys.modules["colorsys"] is not stand_in and sys.modules["colorsys"].rgb_to_hsv is colorsys.rgb_to_hsv

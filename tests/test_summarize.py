"""Summaries: the API's promises, every algorithm offline, the CLI, and the quality bar on real news."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main as cli
from digest.summarize import (
    ALGORITHMS,
    SUMMARY_VERSION,
    UnknownAlgorithm,
    summarize,
    summarize_many,
    summary_key,
)

ROOT = Path(__file__).resolve().parent.parent
BBC = ROOT.parent / "shared" / "data" / "bbc-news-summary"

TITLE = "Storm closes Dnipro river bridge for repairs"
STORY = textwrap.dedent(
    """\
    By Jane Doe, Staff Reporter
    PUBLISHED: 09:12 EST, 3 June 2024 | UPDATED: 10:01 EST, 3 June 2024

    DNIPRO (Reuters) - A storm closed the main bridge over the Dnipro river on Monday, cutting the city's busiest crossing for repairs that engineers say will take three weeks.

    Engineers found cracks in two of the bridge's supports after the storm, the city council said.
    Workers inspect the bridge on June 3, 2024. (Photo by Ann Lee/Getty Images)

    Traffic was diverted to the southern bridge, where queues stretched for two kilometres by the evening rush hour.
    "It's chaos," said one driver.
    The council said the repairs to the bridge supports would cost about 40 million hryvnias and would be paid from the city's reserve fund.
    Read more: Why the city's bridges are ageing

    The storm also brought down trees and power lines across the region, leaving 12,000 homes without electricity overnight.
    Power was restored to most homes by Tuesday morning, the regional energy company said.
    Sign up for our daily newsletter
    The bridge was last repaired in 2019, when a barge struck one of its supports.
    """  # noqa: E501 - a wire story's lead is one long line
)


def test_the_news_summarizer_is_the_default_of_the_library_and_the_command_line() -> None:
    news = summarize(STORY, 3, title=TITLE, algorithm="news")
    assert summarize(STORY, 3, title=TITLE) == news
    result = CliRunner().invoke(cli, ["summarize", "-n", "3", "--title", TITLE], input=STORY)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == news
    assert {"lexrank", "textrank", "luhn", "lsa", "kl", "sumbasic", "edmundson"} < set(ALGORITHMS)  # sumy's, by the names it gives them


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_gives_clean_sentences_in_article_order(algorithm: str) -> None:
    summary = summarize(STORY, 3, title=TITLE, algorithm=algorithm)
    assert len(summary) == 3
    positions = [STORY.index(sentence) for sentence in summary]
    assert positions == sorted(positions)
    text = " ".join(summary)
    for junk in ("By Jane", "PUBLISHED", "(Reuters)", "Getty", "Read more", "Sign up"):
        assert junk not in text


def test_news_picks_the_lead_and_the_sentences_the_story_returns_to() -> None:
    summary = summarize(STORY, 3, title=TITLE)
    assert summary[0].startswith("A storm closed the main bridge")
    assert any("cracks in two of the bridge's supports" in s for s in summary)


def test_a_brief_within_its_budget_comes_back_whole() -> None:
    brief = "Air raid alert in Kyiv oblast. Residents are urged to stay in shelters."
    assert summarize(brief, 3) == ["Air raid alert in Kyiv oblast.", "Residents are urged to stay in shelters."]
    assert summarize("Explosions heard in Odesa", 1) == ["Explosions heard in Odesa"]


def test_sentences_budget_is_respected() -> None:
    assert len(summarize(STORY, 1)) == 1
    assert len(summarize(STORY, 2)) == 2
    assert summarize(STORY, 0) == []


def test_poor_blurb_sentences_are_not_picked() -> None:
    long_sentence = "The report " + " ".join(["listed many causes of the collapse"] * 9) + "."
    text = "\n".join(
        [
            "The national bank raised its key rate to 15 percent on Thursday to slow rising prices.",
            "Ivan Petrenko, Olha Shevchenko, Taras Bondar, Maria Kovalenko, Petro Lysenko.",
            long_sentence,
            "Wow.",
            "Bank officials said prices rose faster than expected in the spring because of higher energy costs.",
            "The bank expects prices to slow by the end of the year if energy costs stay stable.",
        ]
    )
    summary = summarize(text, 3)
    assert "Petrenko" not in " ".join(summary)
    assert long_sentence not in summary and "Wow." not in summary
    assert len(summary) == 3


def test_the_headline_repeated_in_the_body_is_not_a_summary_sentence() -> None:
    text = TITLE + "\n\n" + STORY
    assert TITLE not in summarize(text, 3, title=TITLE)


def test_near_repeats_are_not_both_picked() -> None:
    text = (
        "Russian drones struck an energy facility in Kharkiv overnight, the regional governor said. "
        "Russian drones struck an energy facility in Kharkiv overnight, regional governor said on Telegram. "
        "Firefighters put out the blaze by morning. "
        "Repair crews began work on the damaged transformer station before dawn. "
        "Power cuts are expected across Kharkiv for several days while the transformer station is repaired."
    )
    summary = summarize(text, 2)
    assert sum("Russian drones struck" in s for s in summary) == 1


@pytest.mark.parametrize(
    "odd",
    ["", "   ", "....", "12 34 56", "<div></div>", "&nbsp;", "a", "\n\n\n", "!!! ??? ...", "— — —", "x" * 5000],
)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_odd_text_never_raises(odd: str, algorithm: str) -> None:
    result = summarize(odd, 3, algorithm=algorithm)
    assert isinstance(result, list)
    assert summarize("", 3, algorithm=algorithm) == []


def test_unknown_algorithm_names_the_valid_ones() -> None:
    with pytest.raises(UnknownAlgorithm) as caught:
        summarize(STORY, algorithm="bogus")
    assert isinstance(caught.value, ValueError)
    for name in ALGORITHMS:
        assert name in str(caught.value)
    with pytest.raises(UnknownAlgorithm):
        summarize_many([(STORY, None)], algorithm="bogus")


UKRAINIAN = (
    "Сили оборони збили 40 ударних дронів над Київщиною вночі, повідомили в Повітряних силах. "
    "Уламки дронів впали у двох районах області, пошкоджено кілька приватних будинків. "
    "За словами голови обласної адміністрації, поранених немає. "
    "Атака тривала майже чотири години, в області діяла повітряна тривога. "
    "Повітряні сили зазначили, що Росія запустила дрони з трьох напрямків. "
    "Рятувальники працювали на місцях падіння уламків до ранку."
)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_ukrainian_summaries(algorithm: str) -> None:
    summary = summarize(UKRAINIAN, 2, lang="uk", algorithm=algorithm, title="Над Київщиною збили 40 дронів")
    assert len(summary) == 2
    for sentence in summary:
        assert sentence in UKRAINIAN and sentence.endswith(".")


def test_summarize_many_keeps_order_and_matches_summarize() -> None:
    docs = [(STORY, TITLE), ("Short brief about a fire in Lviv.", None), ("", None), (UKRAINIAN, None)]
    expected = [summarize(text, 2, title=title) for text, title in docs]
    assert summarize_many(docs, 2) == expected
    assert summarize_many([], 2) == []


def test_summarize_many_in_parallel_equals_serial() -> None:
    docs = [(f"Item {i} happened in the city today. " + STORY, TITLE) for i in range(80)]
    assert summarize_many(docs, 2, workers=2) == summarize_many(docs, 2, workers=1)


def test_summary_key_covers_every_input_and_the_version() -> None:
    base = summary_key("text", "title", 3, "en", "news")
    assert re.fullmatch(r"[0-9a-f]{64}", base)  # a SHA-256 in hex
    assert base == summary_key("text", "title", 3, "en", "news")
    variants = {
        summary_key("text!", "title", 3, "en", "news"),
        summary_key("text", "title!", 3, "en", "news"),
        summary_key("text", None, 3, "en", "news"),
        summary_key("text", "title", 2, "en", "news"),
        summary_key("text", "title", 3, "uk", "news"),
        summary_key("text", "title", 3, "en", "lexrank"),
    }
    assert base not in variants and len(variants) == 6
    assert SUMMARY_VERSION


@pytest.mark.slow
def test_every_process_gives_the_same_summaries_without_any_nltk_data(tmp_path: Path) -> None:
    """A fresh machine has no punkt: every algorithm must still run, with NLTK's data lookups broken.
    And each process hashes strings with its own seed, which reorders sets and dicts: two processes
    with different seeds, and this one, must give the same summaries (the same inputs, the same email)."""
    script = textwrap.dedent(
        f"""
        import json
        import nltk.data
        def refuse(*args, **kwargs):
            raise LookupError("no NLTK data on this machine")
        nltk.data.find = nltk.data.load = refuse
        from digest.summarize import ALGORITHMS, summarize
        found = {{algorithm: summarize({STORY!r}, 2, algorithm=algorithm) for algorithm in ALGORITHMS}}
        found["uk"] = summarize({UKRAINIAN!r}, 2, lang="uk")
        print(json.dumps(found))
        """
    )
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "NLTK_DATA": str(tmp_path), "HOME": str(tmp_path), "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        runs.append(json.loads(result.stdout))
    here = {algorithm: summarize(STORY, 2, algorithm=algorithm) for algorithm in ALGORITHMS}
    here["uk"] = summarize(UKRAINIAN, 2, lang="uk")
    assert runs[0] == runs[1] == here
    assert all(len(summary) == 2 for summary in here.values()), here


# --- the command line -------------------------------------------------------------------------


def test_cli_summarizes_a_file_one_sentence_a_line(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_text(STORY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["summarize", "-n", "2", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == summarize(STORY, 2)


def test_cli_reads_stdin() -> None:
    for args in (["summarize", "-n", "1"], ["summarize", "-n", "1", "-"]):
        result = CliRunner().invoke(cli, args, input=STORY)
        assert result.exit_code == 0
        assert result.stdout.splitlines() == summarize(STORY, 1)


def test_cli_jsonl_in_order_with_bad_lines_named() -> None:
    lines = [
        json.dumps({"id": "a", "text": STORY, "title": TITLE}),
        "{not json",
        json.dumps({"id": 2, "text": "A single brief about a blackout in Sumy."}),
        json.dumps({"id": 3}),
        "",
        json.dumps({"id": None, "text": ""}),
    ]
    result = CliRunner().invoke(cli, ["summarize", "--jsonl", "-n", "2"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, None]
    assert out[0]["summary"] == summarize(STORY, 2, title=TITLE)
    assert out[1]["summary"] == ["A single brief about a blackout in Sumy."]
    assert out[2]["summary"] == []
    assert "line 2" in result.stderr and "line 4" in result.stderr


def test_what_the_command_prints_comes_from_summarize_lines(tmp_path: Path) -> None:
    """`digest summarize` is one call: summarize_lines gives its lines, a text's sentences or one JSON
    object per document, and names each bad line (file and number) to `warn`."""
    import io

    from digest.summarize import fit_words, summarize_lines

    warned: list[str] = []
    plain = list(summarize_lines(io.StringIO(STORY), 3, title=TITLE, words=25, warn=warned.append))
    assert plain == fit_words(summarize(STORY, 3, title=TITLE), 25, "en") and len(plain) >= 1
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"id": "a", "text": STORY, "lang": "en"}) + "\n[1, 2]\n" + json.dumps({"id": "b", "text": "One line."}) + "\n")
    with batch.open(encoding="utf-8") as source:
        rows = [json.loads(line) for line in summarize_lines(source, 2, jsonl=True, warn=warned.append)]
    assert rows == [{"id": "a", "summary": summarize(STORY, 2)}, {"id": "b", "summary": ["One line."]}]
    assert warned == [f"{batch}: line 2: should be a JSON object, not a list ([1, 2]); skipped"]


def test_cli_unknown_algorithm_is_bad_usage() -> None:
    result = CliRunner().invoke(cli, ["summarize", "--algorithm", "bogus"], input=STORY)
    assert result.exit_code == 2
    for name in ALGORITHMS:
        assert name in result.stderr


# --- quality on real news ---------------------------------------------------------------------


@pytest.mark.slow
def test_precision_at_3_on_bbc_news() -> None:
    """The quality bar from the issue, on the shared BBC set (the bench prints the full table with
    ROUGE): centrality still counts where the lead is weak, well above the lead's 60%."""
    if not (BBC / "article").is_dir():
        pytest.skip(f"../shared is absent ({BBC}): the BBC articles are needed for this check")
    hits = total = 0
    for path in sorted((BBC / "article").glob("*/*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        reference = (BBC / "summary" / path.parent.name / path.name).read_text(encoding="utf-8", errors="replace")
        reference_lines = [" ".join(line.split()) for line in reference.splitlines()]
        chosen = summarize("\n".join(lines[1:]), 3, title=lines[0])
        hits += sum(any(" ".join(s.split()) in line for line in reference_lines) for s in chosen)
        total += len(chosen)
    assert total and hits / total >= 0.70


def test_a_blurb_never_opens_a_quotation_it_does_not_close() -> None:
    text = (
        "The harbour board approved a new ferry timetable on Tuesday after a month of talks with crews. "
        '"We listened to every captain. We changed the night runs because of what they told us," '
        "the board's chair said. The timetable starts in June and adds two crossings on weekdays."
    )
    summary = summarize(text, 2)
    assert summary and all(sentence.count('"') % 2 == 0 for sentence in summary)


def test_a_brief_that_is_one_long_quotation_is_shown_whole() -> None:
    text = (
        '"We have been ready for this vote since spring, and the council knew it. '
        'Tonight the city finally has a budget it can be proud of," the mayor told reporters.'
    )
    (summary,) = summarize(text, 1)
    assert summary.startswith('"We have been ready') and summary.endswith("told reporters.")


def test_a_huge_text_is_summarized_from_its_lead_and_an_even_sample() -> None:
    """The work is bounded (TEXT_BUDGET, MAX_SENTENCES) and the choice deterministic: the lead stays in."""
    from digest.summarize.prepare import LEAD_SENTENCES, MAX_SENTENCES, TEXT_BUDGET, prepare

    text = " ".join(f"Ferry number {n} leaves the north pier at dawn today." for n in range(8_000))
    assert len(text) > TEXT_BUDGET
    prepared = prepare(text, None, "en")
    assert len(prepared.sentences) == MAX_SENTENCES
    assert prepared.sentences[:LEAD_SENTENCES] == tuple(
        f"Ferry number {n} leaves the north pier at dawn today." for n in range(LEAD_SENTENCES))
    last = int(prepared.sentences[-1].split()[2])
    assert last > 7_000  # spread over the whole text, not only its next lines
    assert summarize(text, 3) == summarize(text, 3)


NEWS_DEV = ROOT.parent / "shared" / "data" / "news-dev" / "news_dev.jsonl"


@pytest.mark.slow
def test_on_newsroom_copy_the_default_keeps_the_lead() -> None:
    """On the newsroom set, the lead's first sentence (once cleaned) opens nearly every summary:
    editors' highlights follow the inverted pyramid (the bench measures ROUGE against them)."""
    if not NEWS_DEV.is_file():
        pytest.skip(f"../shared is absent ({NEWS_DEV}): the news-dev articles are needed for this check")
    from digest.summarize.prepare import prepare

    rows = [json.loads(line) for line in NEWS_DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    opens = sum(summarize(row["text"], 3)[:1] == list(prepare(row["text"], None, "en").sentences[:1]) for row in rows)
    assert opens / len(rows) >= 0.9


INVERTED_PYRAMID = (
    "The city council voted on Tuesday to close the old Podil tram depot and turn it into a park by 2027. "
    "The vote ends a decade of argument over the site, which has stood empty since the last trams left in 2014. "
    "Residents had asked for a park in three petitions. "
    "Council members said the park would have a playground, a market square and a small museum of the tram. "
    "The museum will show two restored trams. "
    "A local historian said the depot was one of the oldest in Europe. "
    "He added that the park was the best use of the site the city had ever had. "
    "The council said the park would cost about 200 million hryvnias, from the city's budget and donors."
)


def test_the_lead_is_preferred_on_an_inverted_pyramid_article() -> None:
    summary = summarize(INVERTED_PYRAMID, 2, title="Podil tram depot to become a park")
    assert summary[0].startswith("The city council voted on Tuesday")


def test_a_blurb_never_opens_on_a_sentence_that_leans_on_one_left_out() -> None:
    text = (
        "Officials said the bridge would reopen on Friday. "
        "He added that the repairs had cost more than expected and taken a month longer than planned. "
        "But the mayor said the bridge repairs had been worth it for the whole city and its bridge traffic. "
        "The bridge carries forty thousand cars a day across the river."
    )
    for count in (1, 2):
        summary = summarize(text, count, title="Bridge repairs cost more than expected")
        assert not summary[0].startswith(("He ", "But ")), summary
        for before, after in zip(summary, summary[1:], strict=False):
            if after.startswith(("He ", "But ")):
                assert text.index(before) + len(before) + 1 == text.index(after)


def test_captions_bylines_and_furniture_are_never_chosen() -> None:
    text = (
        "By Daily Mail Reporter . PUBLISHED: 12:44 EST, 3 June 2013 | . UPDATED: 13:02 EST, 3 June 2013 . "
        "A toddler who fell into a cheetah pit at a zoo is recovering in hospital, officials said. "
        "The boy was rescued by his parents before firefighters and paramedics arrived at the zoo. "
        "Scroll down for video The boy's mother (pictured) was holding him when he slipped into the cheetah pit "
        "The zoo said it would review the height of the railings around the cheetah pit after the fall. "
        "We use cookies to improve your experience on our website and to show you the zoo news you like. "
        "Share on Facebook Twitter WhatsApp. Subscribe to continue reading the zoo news and cheetah stories."
    )
    summary = " ".join(summarize(text, 3, title="Toddler falls into cheetah pit"))
    for junk in ("Daily Mail Reporter", "PUBLISHED", "pictured", "Scroll down", "cookies", "Facebook", "Subscribe"):
        assert junk not in summary
    assert "A toddler who fell into a cheetah pit" in summary


def test_news_is_a_sumy_summarizer_usable_alone() -> None:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.summarizers._summarizer import AbstractSummarizer

    from digest.summarize.news import NewsSummarizer
    from digest.text.sentences import SentenceTokenizer, split_sentences, stemmer_for, stop_words_for

    tokenizer = SentenceTokenizer("en")
    sentences = [Sentence(s, tokenizer) for s in split_sentences(INVERTED_PYRAMID)]
    document = ObjectDocumentModel([Paragraph(sentences)])
    summarizer = NewsSummarizer(stemmer_for("en"), stop_words_for("en"))
    assert isinstance(summarizer, AbstractSummarizer)
    chosen = summarizer(document, 2)
    assert len(chosen) == 2 and str(chosen[0]).startswith("The city council voted")


def test_jsonl_lines_carry_their_own_language() -> None:
    lines = [json.dumps({"id": 1, "text": UKRAINIAN, "lang": "uk"}), json.dumps({"id": 2, "text": STORY})]
    result = CliRunner().invoke(cli, ["summarize", "--jsonl", "-n", "2"], input="\n".join(lines) + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["summary"] == summarize(UKRAINIAN, 2, lang="uk")
    assert out[1]["summary"] == summarize(STORY, 2)


@pytest.mark.parametrize(
    ("sentences", "words", "expected"),
    [
        (["One two three."], 5, ["One two three."]),
        (["One two three.", "Four five six."], 5, ["One two three."]),
        (["Troops held the line near Pokrovsk, the general staff said, as fighting went on."], 10,
         ["Troops held the line near Pokrovsk, the general staff said."]),
        (["Війська утримали позиції біля Покровська, повідомив генштаб, бої тривають далі на всіх напрямках фронту."],
         7, ["Війська утримали позиції біля Покровська, повідомив генштаб…"]),
        # a lead with no clause end in the budget, at most 1.5 budgets long, is shown whole
        (["Війська утримали позиції біля Покровська, повідомив генштаб, бої тривають далі."], 7,
         ["Війська утримали позиції біля Покровська, повідомив генштаб, бої тривають далі."]),
        (["Alpha beta gamma delta epsilon zeta eta theta."], 4, ["Alpha beta gamma delta…"]),
    ],
)
def test_word_budget_keeps_whole_sentences_and_cuts_at_a_clause(sentences, words, expected) -> None:
    from digest.summarize import fit_words

    assert fit_words(sentences, words) == expected


def test_cli_words_budget(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["summarize", "-n", "3", "--words", "12"], input=STORY)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert sum(len(line.split()) for line in lines) <= 12
    assert lines and all(line.split()[-1].strip("…") for line in lines)


RAW_NEWS = sorted((ROOT / "tests" / "data" / "raw_news").glob("*.txt"))


@pytest.mark.parametrize("path", RAW_NEWS, ids=[p.stem for p in RAW_NEWS])
def test_on_raw_articles_the_lead_is_the_story_not_its_furniture(path: Path) -> None:
    """Raw CNN/Daily Mail and wire copy carries bylines, time stamps, datelines and prompts before
    its lead; once cleaned, the story's first sentence opens the text and the summary."""
    from digest.text.clean import clean_for_summary

    first_line, body = path.read_text(encoding="utf-8").split("\n", 1)
    lead = first_line.removeprefix("LEAD:").strip()
    assert clean_for_summary(body).startswith(lead)
    assert summarize(body, 1) == [lead]
    assert summarize(body, 3)[0] == lead


# Inverted pyramids in other languages: the lead's weight is its position, never its words.
OTHER_LANGUAGE_LEADS = {
    "ru": (
        "Городской совет Казани утвердил строительство нового моста через реку Казанку. "
        "Мост длиной около километра соединит два жилых района на разных берегах. "
        "Работы начнутся весной и займут три года, сообщили в мэрии. "
        "Жители давно жаловались на пробки на старом мосту в часы пик. "
        "По проекту на мосту будут две полосы для автобусов и широкая велодорожка. "
        "Стоимость строительства оценивается в двенадцать миллиардов рублей из городского бюджета."
    ),
    "uk": (
        "У Львові відкрили першу в місті бібліотеку, що працює цілодобово. "
        "Бібліотека розташована в колишньому приміщенні пошти біля вокзалу. "
        "Читачі можуть брати книжки за допомогою автомата навіть уночі. "
        "Міська рада виділила на ремонт приміщення понад десять мільйонів гривень. "
        "Студенти давно просили місце, де можна вчитися після закриття університету. "
        "Якщо досвід буде вдалим, цілодобові бібліотеки з'являться ще у трьох районах міста."
    ),
}


@pytest.mark.parametrize("lang", sorted(OTHER_LANGUAGE_LEADS))
def test_the_lead_is_chosen_in_russian_and_ukrainian(lang: str) -> None:
    text = OTHER_LANGUAGE_LEADS[lang]
    lead = text.split(". ")[0] + "."
    assert summarize(text, 1, lang=lang) == [lead]
    assert summarize(text, 2, lang=lang)[0] == lead


def test_a_feature_lead_that_opens_on_a_pronoun_is_still_the_lead() -> None:
    """The body's first sentence has nothing before it to lean on: "They ..." there is a feature's
    opening, not a continuation, and without a headline it still opens the summary."""
    text = (
        "They look like ordinary garden sheds, but the huts on a hill above Bergen hold the town's seed bank. "
        "Volunteers have stored seeds from more than 400 local plants in the huts since 2015. "
        "The seeds are kept cold and dry, and checked by the volunteers every spring. "
        "Farmers from the valley have already used the seed bank to bring back an old kind of barley. "
        "The town plans to add two more huts next year with money from a national fund."
    )
    assert summarize(text, 1)[0].startswith("They look like ordinary garden sheds")


def test_a_short_sentence_carries_less_of_the_story_however_near_the_lead() -> None:
    """Shortness weighs on the whole score, the lead's and the headline's part too: a four-word second
    sentence does not take the place of a full one that carries the story on."""
    lead = "The city council approved a new tram line across the river to the left bank on Monday after a long debate."
    rest = ("The tram line will link the left bank with the city centre and carry forty thousand riders a day across "
            "the river. Work on the line starts in spring, and the council expects the first trams to run across the "
            "river in 2029.")
    result = CliRunner().invoke(cli, ["summarize", "-n", "2"], input=f"{lead} The tram crosses the river. {rest}")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == lead and "The tram crosses the river." not in lines, lines
    assert lines[1].startswith("Work on the line starts in spring"), lines

"""Clutter rules on small real-shaped cases; each removal carries a reason."""

from __future__ import annotations

import pytest

import cleaners.clean.clutter as clutter
from cleaners.clean.clutter import Metadata, ParagraphStep, strip_clutter
from cleaners.config import ClutterConfig, Config
from cleaners.records import Document, Source


def _doc(*paras: str, title: str | None = None) -> Document:
    return Document("d1", Source("x.txt", None, "", "txt"), title, None, None, tuple(paras))


def _paragraph_step(cfg: ClutterConfig) -> ParagraphStep:
    """The step that runs cfg's paragraph rules (one: they sit between the same page rules)."""
    [step] = [s for s in clutter._steps(cfg) if isinstance(s, ParagraphStep)]
    return step


PROSE = ("The committee approved the plan on Monday after a long debate about costs, "
         "schedules and the effect on residents of the eastern districts.")
PROSE2 = ("Officials said construction would start next spring and take about three years, "
          "with most of the money coming from regional and national budgets.")


def test_popular_list_and_items_removed_until_prose() -> None:
    d = strip_clutter(_doc(PROSE, '"Politics" POPULAR ARTICLE', "-", "Tax Plan Eyed for 2026",
                           "-", "Minister Resigns Over Gaffe", "JN ACCESS RANKING", "-",
                           "As Tourists Shun City, Hotels Suffer", PROSE2))
    assert d.paragraphs == (PROSE, PROSE2)
    reasons = [r.reason for r in d.removed]
    assert reasons[0] == "list-heading (POPULAR ARTICLE)"
    assert "list-heading (ACCESS RANKING)" in reasons
    assert reasons.count("list-item (POPULAR ARTICLE)") == 4


def test_sentences_that_look_like_rules_are_kept() -> None:
    for p in ("The most read story of the year was about the flood, editors said on Friday in a statement.",
              "By the end of the year, the council expects to have spent less than planned.",
              "Courtesy calls on foreign leaders took up most of the minister's first week.",
              "Photo exhibitions in the city drew record crowds this summer."):
        assert strip_clutter(_doc(p, PROSE)).paragraphs == (p, PROSE), p


def test_captions_credits_repeated_captions() -> None:
    d = strip_clutter(_doc(
        "Photo/Illustration The minister speaks in Brussels on Oct. 17. (Nen Satomi)",
        PROSE,
        "Courtesy call on the Secretary General Courtesy call on the Secretary General",
        "(Photo: Reuters)",
        PROSE2,
    ))
    assert d.paragraphs == (PROSE, PROSE2)
    assert [r.reason for r in d.removed] == ["caption", "repeated-caption", "caption-credit"]


def test_prompts_and_share_bars() -> None:
    d = strip_clutter(_doc(PROSE, "Share on Facebook | Tweet | Email",
                           "Sign up for our morning newsletter to get the news in your inbox.",
                           "We use cookies to improve your experience. Accept cookies",
                           "ADVERTISEMENT", PROSE2))
    assert d.paragraphs == (PROSE, PROSE2)
    assert [r.reason for r in d.removed] == ["share-bar", "newsletter-prompt", "cookie-prompt",
                                             "advertisement"]


def test_timestamp_and_dateline_move_to_metadata() -> None:
    d = strip_clutter(_doc("The main gate of the ministry is seen in Tokyo.", "14:37 JST, October 19, 2024",
                           "BRUSSELS \u2014Defense Minister Gen Nakatani expressed deep concerns about the growing "
                           "military cooperation between Russia and North Korea.", PROSE))
    assert d.published == "2024-10-19T14:37:00+09:00"
    assert dict(d.meta)["dateline"] == "BRUSSELS"
    assert d.paragraphs[0].startswith("Defense Minister Gen Nakatani expressed")
    assert [r.reason for r in d.removed] == ["caption (above timestamp)", "timestamp->metadata",
                                             "dateline->metadata"]


def test_dateline_of_a_lead_under_a_subhead_moves_to_metadata() -> None:
    """A wire copy that keeps a short subhead above its lead: the dateline opens the lead, not
    the first paragraph. A dateline-like line deeper in the text stays."""
    lead = ("LONDON (AFP) — Since our debt-free journey started in September 2016, life has changed "
            "drastically for our family of four.")
    later = "PARIS — Officials said the talks would resume next week after the holiday in the capital."
    d = strip_clutter(_doc("Building an Affordable Home Gym", lead, PROSE, later))
    assert dict(d.meta)["dateline"] == "LONDON"
    assert d.paragraphs[:2] == ("Building an Affordable Home Gym", lead.split("— ", 1)[1])
    assert d.paragraphs[-1] == later
    assert [r.reason for r in d.removed] == ["dateline->metadata"]


def test_title_repeated_in_body_goes_to_metadata() -> None:
    d = strip_clutter(_doc("Council Approves Library Budget", PROSE, title="Council approves library budget"))
    assert d.paragraphs == (PROSE,)
    assert d.removed[0].reason == "title->metadata"


def test_clean_text_is_unchanged_and_idempotent() -> None:
    d = _doc(PROSE, PROSE2)
    once = strip_clutter(d)
    assert once.paragraphs == d.paragraphs and once.removed == ()
    assert strip_clutter(once) == once


def test_repeated_lines_only_when_back_to_back() -> None:
    q = "What did you learn?"
    d = strip_clutter(_doc(PROSE, q, "A lot about budgets.", q, "Patience.", "Sidebar item", "Sidebar item"))
    assert d.paragraphs == (PROSE, q, "A lot about budgets.", q, "Patience.", "Sidebar item")
    assert [r.reason for r in d.removed] == ["repeated-line"]


def test_feed_footer() -> None:
    d = strip_clutter(_doc(PROSE, "The post Council approves budget appeared first on City Times."))
    assert d.paragraphs == (PROSE,) and d.removed[0].reason == "feed-footer"


def test_copyright_link_prompts_widget_messages_contacts() -> None:
    d = strip_clutter(_doc(
        PROSE,
        "Read more: Alibaba poised to launch record-breaking Hong Kong listing",
        "Also on rt.com Journalists threatened with sedition arrests",
        "CLICK HERE TO GET THE FOX NEWS APP",
        PROSE2,
        "Thanks for signing up!",
        "Write to Al Root at allen.root@dowjones.com",
        "Copyright ©2019 Dow Jones & Company, Inc. All Rights Reserved",
        "저작권자 ⓒ 엔터미디어, 무단전재 및 재배포금지",
    ))
    assert d.paragraphs == (PROSE, PROSE2)
    assert [r.reason for r in d.removed] == [
        "related-link", "related-link", "call-to-action", "widget-message", "author-contact",
        "copyright-notice", "copyright-notice"]


def test_sentences_near_those_rules_are_kept() -> None:
    for p in ("To learn about light and colour in photography, click here.",
              "Read more about the plan in the council's report, which runs to 300 pages.",
              "The copyright dispute between the two studios went to court in March, lawyers said.",
              "Related parties must disclose their interests: the new law makes that a duty."):
        assert strip_clutter(_doc(p, PROSE)).paragraphs == (p, PROSE), p


def test_title_variants_at_the_top_are_removed() -> None:
    d = strip_clutter(_doc("The Early Reviews Are Here", PROSE, PROSE2,
                           title="The Early Reviews Are Here - Digg"))
    assert d.paragraphs == (PROSE, PROSE2)
    assert d.removed[0].reason == "title-variant"
    d = strip_clutter(_doc("Milan Design Week | Michael Anastassiades’ light installation for FLOS", PROSE,
                           title="Milan Design Week | Anastassiades' light installation for FLOS"))
    assert d.paragraphs == (PROSE,)
    # sharing only some words, or further down than the top lines: kept
    d = strip_clutter(_doc("Light installations at Milan Design Week", PROSE, PROSE2, PROSE,
                           "The Early Reviews Are Here",
                           title="The Early Reviews Are Here - Digg"))
    assert d.paragraphs[0] == "Light installations at Milan Design Week"
    assert d.paragraphs[-1] == "The Early Reviews Are Here"
    # >= 80 % of the words shared both ways, at the edges (4 of 5 words, 4 of 4)
    from cleaners.clean.clutter import is_title_variant

    assert is_title_variant("Council backs new library plan", "Council backs library plan")
    assert is_title_variant("Council backs library plan", "Council backs new library plan")
    assert not is_title_variant("Council backs the new library plan", "Council backs library plan")
    assert not is_title_variant("Council backs library", "Council backs the new library plan")


def test_reading_time_lines() -> None:
    d = strip_clutter(_doc("Tempo de leitura: 2 minutos", "5 min read", PROSE,
                           "Reading time is the minutes a reader needs; editors estimate it for each story."))
    assert [r.reason for r in d.removed] == ["reading-time", "reading-time"]
    assert len(d.paragraphs) == 2


def test_author_box_and_further_reading_sections() -> None:
    d = strip_clutter(_doc(PROSE, "About the Author", "Maureen Salamon, Executive Editor",
                           "Further reading", "- The Best Laptops by Kimber Streams", PROSE2))
    assert d.paragraphs == (PROSE, PROSE2)
    assert [r.reason for r in d.removed] == [
        "list-heading (ABOUT THE AUTHOR)", "list-item (ABOUT THE AUTHOR)",
        "list-heading (FURTHER READING)", "list-item (FURTHER READING)"]


def test_reprint_notices_shortcodes_and_dont_miss_lists() -> None:
    d = strip_clutter(_doc(
        "- Order Reprints",
        "This copy is for your personal, non-commercial use only. To order copies, visit our reprints page.",
        PROSE,
        '[button link="http://example.com/review/" type="big"] Send us YOUR kit review[/button]',
        "DON'T MISS", "China furious at Macron for protest jibe [INSIGHT]",
        PROSE2, "You may also like...", "Who will make the Rock Hall in 2020?"))
    assert d.paragraphs == (PROSE, PROSE2)
    keep = "[sourcecode language=\"bash\"]grep -x pattern file[/sourcecode]"
    assert strip_clutter(_doc(PROSE, keep)).paragraphs == (PROSE, keep)


def test_comment_links() -> None:
    d = strip_clutter(_doc(PROSE, "Tell us what YOU think...", "comments", "12 Comments", PROSE2))
    assert d.paragraphs == (PROSE, PROSE2)
    assert {r.reason for r in d.removed} == {"comments-link"}


def test_agency_credit_is_case_sensitive() -> None:
    for p in ("Die elektronische Patientenakte (ePA)", "Neuromancer by William Gibson (April 22nd)",
              "- Cabernet sauvignon: Beringer Founder's Estate (approx. $12)"):
        assert strip_clutter(_doc(PROSE, p)).paragraphs == (PROSE, p), p
    assert strip_clutter(_doc(PROSE, "(AP Photo/Evan Vucci)")).paragraphs == (PROSE,)


def test_newsletter_prompt_plural_and_gerund() -> None:
    d = strip_clutter(_doc(PROSE, "Get the latest updates right in your inbox. Subscribe to NJ.com’s newsletters.",
                           "Get the day’s top headlines delivered to your inbox every morning by subscribing "
                           "to our newsletter.", PROSE2))
    assert d.paragraphs == (PROSE, PROSE2)
    assert {r.reason for r in d.removed} == {"newsletter-prompt"}
    keep = "Readers kept subscribing to the paper for decades, and the editor thanked them in a letter."
    assert strip_clutter(_doc(PROSE, keep)).paragraphs == (PROSE, keep)


def test_how_to_step_that_only_mentions_email_is_kept_with_its_list() -> None:
    """Issue 21: signing up for something else (a bundle, an account, a device) with one's
    e-mail address is a step of the story, not a newsletter prompt."""
    steps = ("- Open the Hulu app and go to the Account page.",
             "- Sign up for the Disney+ bundle using the same email as your Hulu account",
             "- Log in to Disney+ and start watching.")
    d = strip_clutter(_doc(PROSE, *steps, PROSE2))
    assert d.paragraphs == (PROSE, *steps, PROSE2)
    assert d.removed == ()
    for keep in ("Sign up for a free account with your email address",
                 "Register your device using the email you used before",
                 "Sign up for a free trial, then check your inbox for the confirmation link.",
                 "To register, write to our email address and give your name."):
        assert strip_clutter(_doc(PROSE, keep)).paragraphs == (PROSE, keep), keep


def test_prompts_offering_the_site_s_news_are_still_removed() -> None:
    prompts = ("Sign up for our newsletter", "Subscribe to get breaking news alerts in your inbox",
               "Get the Morning Brief newsletter", "Register for free email updates",
               "Want more stories like this? Sign up for our free weekly email.",
               "Sign up to receive our daily emails.", "Sign up for our email list.",
               "Subscribe to get the Morning Brief by email.",
               "Subscribe for the day's news straight to your inbox.")
    d = strip_clutter(_doc(PROSE, *prompts, PROSE2))
    assert d.paragraphs == (PROSE, PROSE2)
    assert [r.reason for r in d.removed] == ["newsletter-prompt"] * len(prompts)


def test_site_named_list_headings_and_explore_further() -> None:
    d = strip_clutter(_doc(PROSE, "Most read in world news", "Hunter diagnosed with plague after eating rabbit",
                           PROSE2, "Popular on IndieWire", "Explore further", "Hibernating astronauts"))
    assert d.paragraphs == (PROSE, PROSE2)
    assert [r.reason for r in d.removed] == [
        "list-heading (MOST READ IN WORLD NEWS)", "list-item (MOST READ IN WORLD NEWS)",
        "list-heading (POPULAR ON INDIEWIRE)", "list-heading (EXPLORE FURTHER)", "list-item (EXPLORE FURTHER)"]
    # a subheading that only starts like one is kept
    keep = "Popular on campus, the plan still needs the council's approval before it can go ahead next year."
    assert strip_clutter(_doc(PROSE, keep)).paragraphs == (PROSE, keep)


def test_date_lines_in_other_languages_move_to_metadata() -> None:
    for stamp in ("sexta-feira, 22 de outubro de 2010 às 20:13", "기사입력 :[ 2018-08-25 15:24 ]",
                  "Montag, 3. März 2020, 10:15 Uhr", "Miércoles, 04 de Mayo de 2022"):
        d = strip_clutter(_doc(stamp, PROSE, PROSE2))
        assert d.paragraphs == (PROSE, PROSE2), stamp
        assert [r.reason for r in d.removed] == ["timestamp->metadata"], stamp
    # a short line that mentions a month among other words is not a date line
    keep = "Mai 2019 war ein guter Monat"
    assert strip_clutter(_doc(PROSE, keep)).paragraphs == (PROSE, keep)


def test_timestamp_with_author_moves_to_metadata() -> None:
    d = strip_clutter(_doc("5:45 AM PST 11/19/2019 by Patrick Shanley", PROSE, PROSE2))
    assert d.paragraphs == (PROSE, PROSE2)
    assert [r.reason for r in d.removed] == ["timestamp->metadata"]
    assert dict(d.meta)["byline"] == "Patrick Shanley"
    assert dict(d.meta)["timestamp"] == "5:45 AM PST 11/19/2019"
    d = strip_clutter(_doc("Last updated on August 2, 2025 by Shannon", PROSE))
    assert d.paragraphs == (PROSE,)
    # a title that ends in "by <Name>" but holds no date is kept
    keep = "No.91 Côte by Mauro Colagreco"
    assert strip_clutter(_doc(PROSE, keep)).paragraphs == (PROSE, keep)


def test_contributor_credit_lines() -> None:
    d = strip_clutter(_doc(PROSE, PROSE2, "Keith Bradsher contributed reporting from Hong Kong.",
                           "Associated Press writers Alan Fram and Zeke Miller contributed to this report."))
    assert d.paragraphs == (PROSE, PROSE2)
    assert {r.reason for r in d.removed} == {"contributor-credit"}
    # a sentence of the story that uses the verb is kept
    keep = "Several agencies contributed research to the study, the ministry said on Tuesday."
    assert strip_clutter(_doc(PROSE, keep)).paragraphs == (PROSE, keep)


def test_follow_and_contact_lines() -> None:
    d = strip_clutter(_doc(
        PROSE, PROSE2,
        "Follow The New York Times Opinion section on Facebook, Twitter (@NYTopinion) and Instagram.",
        "Email Tariq Malik at tmalik@space.com or follow him @tariqjmalik. Follow us on Twitter @Spacedotcom.",
        "Follow AP's full coverage of Brexit and British politics at https://www.apnews.com/Brexit",
        "Subscribe to 9to5Mac on YouTube for more Apple news:"))
    assert d.paragraphs == (PROSE, PROSE2)
    assert {r.reason for r in d.removed} == {"contact-line"}
    # the post's own voice, a listicle entry, and a line with a sentence of the story are kept
    for keep in ("Follow me on Instagram for new tasty macro-friendly recipes along with fan-favorite recipes!",
                 "Follow Reese's Book Club on social media: Instagram, Facebook, Twitter, TikTok, YouTube",
                 "Follow us to stay up to date on industry trends.",
                 "Follow @BGRDeals on Twitter for deals. Quantities may be limited."):
        assert strip_clutter(_doc(PROSE, keep)).paragraphs == (PROSE, keep), keep


def test_affiliate_disclosures() -> None:
    d = strip_clutter(_doc(PROSE, "This post may contain affiliate links.",
                           "As an Amazon Associate, I earn from qualifying purchases.",
                           "If you buy something through this post, IGN may get a share of the sale.",
                           "Dieser Artikel enthält Affiliate-Links und/oder werbende Inhalte.", PROSE2))
    assert d.paragraphs == (PROSE, PROSE2)
    assert {r.reason for r in d.removed} == {"affiliate-disclosure"}
    for keep in ("It is a good solution if you are planning on setting up an affiliate program for your project.",
                 "Brokers will receive a commission of 2 percent on every sale, the regulator said.",
                 "Alexa and all related logos are trademarks of Amazon.com or its affiliates."):
        assert strip_clutter(_doc(PROSE, keep)).paragraphs == (PROSE, keep), keep


# --- keyword pre-checks in front of the case-insensitive searches (clutter._may_contain) ---


def test_ignorecase_ascii_letters_match_only_their_lowercase_or_the_odd_three() -> None:
    """_may_contain looks keywords up in text.lower(): every character re.IGNORECASE lets an
    ASCII letter match must lower() to that letter, except the ones _IGNORECASE_ODD sends to
    the full search."""
    import re
    import string

    from cleaners.clean.clutter import _IGNORECASE_ODD

    every_char = "".join(map(chr, range(0x110000)))
    for letter in string.ascii_lowercase:
        for c in set(re.findall(letter, every_char, re.IGNORECASE)):
            assert c.lower() == letter or _IGNORECASE_ODD.match(c), (letter, c)


def test_prechecked_rules_agree_with_the_plain_searches() -> None:
    import cleaners.clean.clutter as c

    def plain(p: str) -> dict[str, object]:
        n = len(c._words(p))
        return {
            "credit": n <= 40 and bool(c.CREDIT.search(p.strip())),
            "newsletter": n <= 40 and bool(c.NEWSLETTER.search(p)),
            "cookie": n <= 60 and bool(c.COOKIE.search(p)),
            "copyright": n <= 60 and bool(c.COPYRIGHT.search(p)),
            "affiliate": n <= 80 and bool(c.AFFILIATE.search(p)),
            "norm": " ".join(w.lower() for w in c._words(p)),
        }

    def fast(p: str) -> dict[str, object]:
        return {"credit": bool(c.credit(p)), "newsletter": bool(c.newsletter(p)),
                "cookie": bool(c.cookie(p)), "copyright": bool(c.copyright_notice(p)),
                "affiliate": bool(c.affiliate_disclosure(p)), "norm": c._norm(p)}

    cases = [
        "All rights reserved.", "ALL RİGHTS RESERVED", "All rıghts reserved", "All rightſ reserved",
        "Copyright 2020 Foo", "  © Foo Bar", "(c) 2019 X", "Alle Rechte vorbehalten", "Tous droits réservés",
        "무단 전재 및 재배포 금지", "版权所有", "this copy is for your personal, non-commercial use only",
        "- Order Reprints", "We use cookies to improve", "COOKİE POLICY", "Our site uses cooKies",
        "Sign up for our newsletter", "ſign up for our newsletter", "Get our free newsletter today",
        "Newsletter: sign up now", "Subscribe to e-mail alerts", "(AP Photo/Evan Vucci)", "(AP Photo/Foo) x",
        "Photo: Reuters", "Credit: Getty", "Courtesy of the family", "AP Photo / John Doe",
        "As an Amazon Associate I earn from qualifying purchases.", "We may earn a commission.",
        "We might get a share of the sale", "Affiliate links below", "ΟΔΟΣ ΑΣ Σ ΣΑ ὈΔΥΣΣΕΎΣ σΣ",
        "Sign up for updates", "Register for E-MAIL alerts", "Subscribing puts it in your inbox", "Sign up now",
        "Subscribe to the podcast", "Sign up: newsletters", "Register today for newſletter updates",
        "We MAY EARN A COMMISSION", "Commission on sales rose", "As an amazon associate", "Amazon links",
        "Mıght get a share of the sale", "Affiliate programme", "Qualifying purchases",
        "An ordinary sentence about the rights of workers, which is long enough to be prose.",
        "Sign up for the Disney+ bundle using the same email as your Hulu account", "Sign up for our free weekly EMAIL",
        "Subscribe to get it by e-mail", "Register: news straight to your ınbox", "Sign up for our email address",
        "Sign up for the email list", "Subscribe and check your inbox",
    ]
    for p in cases + [f"Some words before. {p}" for p in cases] + [p.upper() for p in cases]:
        assert fast(p) == plain(p), p


def test_contact_line_precheck() -> None:
    from cleaners.clean.clutter import contact_line

    assert contact_line("Follow AP's coverage at https://apnews.com/hub/x")
    assert contact_line("FOLLOW us on Twitter @foo. Email me at a@b.com")
    assert contact_line("E-mail Tariq Malik at tmalik@space.com. Follow us @Spacedotcom")
    assert contact_line("Reach the author at x@y.com")
    assert not contact_line("He said: Follow us at @foo")


def test_word_counts_of_a_document_at_once_are_the_words_rules_count() -> None:
    """clutter_word_counts (one kernel call a document) == len(WORD.findall)
    of each paragraph: hyphens and apostrophes join words only between two word characters;
    "_", CJK, combining marks and digits as the regex engine classes them."""
    import random

    from cleaners.clean.clutter import WORD, _words, word_count
    from cleaners.kernels.text import clutter_word_counts

    rng = random.Random(3)
    alphabet = list("ab Z9_-'’.,\n\t東ñ\u0301²") + ["don't", "state-of-the-art", "--", "''", "x-", "-y", "'s"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    texts += ["Share this article on Facebook", "Photo: AP", ""]
    assert clutter_word_counts(texts) == [len(WORD.findall(t)) for t in texts]
    assert clutter_word_counts([]) == []
    assert [word_count(t) for t in texts] == [len(_words(t)) for t in texts]


def test_rules_skipped_by_word_count_could_not_have_fired() -> None:
    """strip_clutter asks only the rules whose word range admits a paragraph (rules_for); called
    alone, each rule checks its range itself, so both ways give the same first reason. And
    bullet_only's range (no words) is exact: none of BULLET_ONLY's characters is a WORD character."""
    import random

    import cleaners.clean.clutter as c

    step = _paragraph_step(ClutterConfig())

    assert not any(c.WORD.search(ch) for ch in "-–—•*·|>»")
    rng = random.Random(4)
    lines = ["Share on Facebook Twitter Email", "Photo: Reuters", "Advertisement", "•", "— | —",
             "Sign up for our newsletter to get updates", "Copyright 2020 Foo. All rights reserved.",
             "CLICK HERE TO GET THE APP", "Read more: the story of the week", "5 min read", "12 comments",
             "Follow us on Twitter @foo", "This post may contain affiliate links.", "John Doe contributed reporting.",
             "Big red car Big red car", "[button link=x]Go[/button]", "The post X appeared first on Y.",
             "Write to Al Root at allen.root@dowjones.com", "Thanks for signing up!", "(AP Photo/Evan Vucci)"]
    filler = "the minister said talks would continue next week in tokyo".split()
    seen = set()
    for _ in range(3000):
        p = rng.choice(lines)
        if rng.random() < 0.7:  # lengthen it across the rules' bounds
            p = p + " " + " ".join(rng.choice(filler) for _ in range(rng.randrange(0, 90)))
        n = c.word_count(p)
        alone = next((rule.name for rule in step.rules if rule(p)), None)
        dispatched = next((name for name, test in step.rules_for(n) if test(p)), None)
        assert alone == dispatched, p
        seen.add(alone)
    assert len(seen) > 12  # many rules fired


def test_remembered_verdicts_never_carry_a_page_s_context() -> None:
    """strip_clutter remembers what the one-paragraph checks said of each paragraph text;
    what depends on the page (its title, the line before, the metadata already found) is
    decided again on every page."""
    step = _paragraph_step(ClutterConfig())
    step._verdicts.clear()
    ts = "14:37 JST, October 19, 2024"
    first = strip_clutter(_doc("Council Approves Library Budget", ts, "Sidebar item", "Sidebar item", PROSE,
                               title="Council approves library budget"))
    assert [r.reason for r in first.removed] == ["title->metadata", "timestamp->metadata", "repeated-line"]
    assert step._verdicts[ts] == ("timestamp->metadata", Metadata((("timestamp", ts),), "2024-10-19T14:37:00+09:00"))
    assert step._verdicts["Sidebar item"] == (None, None)
    body = ("Council Approves Library Budget", "Sidebar item", PROSE, PROSE2, PROSE)
    again = strip_clutter(_doc(*body, ts, title="Other title"))  # (not a caption: far from the top)
    assert again.paragraphs == body
    assert [r.reason for r in again.removed] == ["timestamp->metadata"]
    assert again.published == first.published == "2024-10-19T14:37:00+09:00"
    assert dict(again.meta)["timestamp"] == ts


# --- the registry: rules by name and order, switched off in ClutterConfig ---


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch):
    """The registry as it is now, given back after the test with the steps built from it."""
    monkeypatch.setattr(clutter, "_RULES", list(clutter._RULES))
    clutter._steps.cache_clear()
    yield clutter
    clutter._steps.cache_clear()


def test_a_registered_rule_runs_in_its_order(registry) -> None:
    strip_clutter(_doc(PROSE, "Photo: Reuters"))  # steps built before the new rules: register() drops them

    @clutter.paragraph_rule("podcast-promo", order=295, max_words=30)
    def podcast_promo(p: str) -> bool:
        return p.lower().startswith("listen to our podcast")

    @clutter.paragraph_rule("photo-line", order=95)  # before "caption" (100): its reason wins
    def photo_line(p: str) -> bool:
        return p.startswith("Photo:")

    @clutter.page_rule("end-mark", order=350)  # sees the lines kept by the rules before it
    def end_mark(page: clutter.Page) -> None:
        kept = [i for i, reason in enumerate(page.reasons) if reason is None]
        if kept and page.paras[kept[-1]] in ("-30-", "###"):
            page.reasons[kept[-1]] = "end-mark"

    d = strip_clutter(_doc(PROSE, "Listen to our podcast on Spotify", "Photo: Reuters", PROSE2, "###", "Advertisement"))
    assert d.paragraphs == (PROSE, PROSE2)
    assert [r.reason for r in d.removed] == ["podcast-promo", "photo-line", "end-mark", "advertisement"]
    # too long for its word range: kept
    long_promo = "Listen to our podcast " + " ".join(["now"] * 30)
    assert strip_clutter(_doc(PROSE, long_promo)).paragraphs == (PROSE, long_promo)
    off = ClutterConfig(disabled=frozenset({"photo-line", "end-mark"}))
    d = strip_clutter(_doc(PROSE, "Photo: Reuters", PROSE2, "###"), off)
    assert d.paragraphs == (PROSE, PROSE2, "###") and [r.reason for r in d.removed] == ["caption"]


def test_a_rule_is_registered_once_at_a_free_order(registry) -> None:
    with pytest.raises(ValueError, match="order 100 is taken by 'caption'"):
        clutter.paragraph_rule("toy", order=100)(lambda p: False)
    with pytest.raises(ValueError, match="'advertisement' is registered already"):
        clutter.paragraph_rule("advertisement", order=999)(lambda p: False)
    assert [r.name for r in clutter._RULES].count("repeated-line") == 2  # the one rule run again


def test_disabled_rules_leave_their_paragraphs_and_no_verdict_crosses_configs() -> None:
    both = "Read more: sign up for our newsletter"  # a newsletter prompt (130) and a related link (230)
    no_prompts = ClutterConfig(disabled=frozenset({"newsletter-prompt"}))
    no_links = ClutterConfig(disabled=frozenset({"newsletter-prompt", "related-link"}))
    for _ in range(2):  # the second time every verdict comes from the caches
        for cfg, reasons in ((ClutterConfig(), ["newsletter-prompt"]), (no_prompts, ["related-link"]),
                             (no_links, []), (ClutterConfig(), ["newsletter-prompt"])):
            d = strip_clutter(_doc(PROSE, both, PROSE2), cfg)
            assert [r.reason for r in d.removed] == reasons, cfg
            assert d.paragraphs == ((PROSE, both, PROSE2) if not reasons else (PROSE, PROSE2))


def test_disabled_page_and_metadata_rules() -> None:
    ts = "14:37 JST, October 19, 2024"
    page = _doc("The main gate of the ministry is seen in Tokyo.", ts, "MOST READ", "Tax Plan Eyed for 2026", PROSE)
    d = strip_clutter(page)
    assert [r.reason for r in d.removed] == ["caption (above timestamp)", "timestamp->metadata",
                                             "list-heading (MOST READ)", "list-item (MOST READ)"]
    d = strip_clutter(page, ClutterConfig(disabled=frozenset({"timestamp->metadata", "list-section"})))
    assert d.paragraphs == page.paragraphs and d.removed == ()  # and no caption: no timestamp below it
    assert d.published is None and "timestamp" not in dict(d.meta)
    every = ClutterConfig(disabled=frozenset(r.name for r in clutter.enabled_rules(ClutterConfig())))
    assert strip_clutter(page, every) == page


def test_an_unknown_rule_name_is_an_error_naming_it() -> None:
    cfg = ClutterConfig(disabled=frozenset({"advertisment", "share-bar"}))
    with pytest.raises(ValueError, match=r"names no clutter rule: 'advertisment'; the rules are: .*advertisement"):
        strip_clutter(_doc(PROSE), cfg)
    with pytest.raises(ValueError, match="a set of rule names, got the string 'share-bar'"):
        ClutterConfig(disabled="share-bar")  # type: ignore[arg-type]


def test_the_pipeline_runs_the_configured_rules_and_the_config_round_trips() -> None:
    import json

    from cleaners.clean.pipeline import clean
    from cleaners.records import RawDoc

    raw = RawDoc(Source("x.txt", None, "", "text"), f"{PROSE}\n\nADVERTISEMENT\n\n{PROSE2}\n".encode(), "text")
    cfg = Config(clutter=ClutterConfig(disabled=frozenset({"advertisement"})))
    assert "ADVERTISEMENT" in clean(raw, cfg).paragraphs
    assert "ADVERTISEMENT" not in clean(raw, Config()).paragraphs
    data = json.loads(json.dumps(cfg.to_dict()))
    assert data["clutter"] == {"disabled": ["advertisement"]}
    assert Config.from_dict(data) == cfg

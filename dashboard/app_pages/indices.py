"""Index families side by side: how the same regions fare in two rankings (two families, or two periods or
indicators of one), how much the rankings agree (Spearman's ρ, Kendall's τ), where they disagree most, and the
chosen regions' rank histories in both."""

import streamlit as st

from dashboard import charts, chrome, columns, context, controls, downloads, filters, views
from dashboard import presentation as pres
from dashboard import queries as q
from dashboard.i18n import localized, t

v = filters.current()
f, lang = v.filters, v.lang
chrome.header(v, t("indices_title", lang), t("indices_intro", lang))

fams = q.families()
names = dict(zip(fams["family"], localized(fams, lang, "name_zh", "name_en"), strict=True))
short = dict(zip(fams["family"], localized(fams, lang, "short_zh", "short_en"), strict=True))
others = [c for c in fams["family"] if c != f.family]


def ranking_controls(side: str, default_family: str, default_year: int | None, default_indicator: str | None,
                     container) -> tuple[str, str, str, str, str]:
    """One side's family, period (default: the data year closest to the other side's) and indicator; returns
    them with the indicator's and the period's names."""
    with container:
        family = controls.choice(t(f"indices_{side}", lang), list(fams["family"]), f"ix_{side}",
                                 default=default_family, format_func=names.get, kind="select", url=side,
                                 always=True)
        periods = context.label_periods(q.periods(family), lang)
        labels = dict(zip(periods["period"], periods["label"], strict=True))
        period = controls.choice(t("edition", lang), list(periods["period"]), f"ix_{side}_period",
                                 default=context.closest_period(periods, default_year), format_func=labels.get,
                                 kind="select", url=f"{side}_period", always=True)
        inds = q.indicators(family, period, f.level)
        totals = inds.loc[inds["kind"] == "total", "indicator"]
        fallback = default_indicator if default_indicator in set(inds["indicator"]) else (
            totals.iloc[0] if len(totals) else None)
        ind_names = dict(zip(inds["indicator"], localized(inds, lang, "name_zh", "name_en"), strict=True))
        indicator = controls.choice(t("indicator", lang), list(inds["indicator"]), f"ix_{side}_indicator",
                                    default=fallback, format_func=ind_names.get, kind="select",
                                    url=f"{side}_indicator", always=True)
        return family, period, indicator, ind_names.get(indicator, indicator), labels.get(period, period)


def data_year(family: str, period: str) -> int:
    periods = q.periods(family).drop_duplicates("period").set_index("period")
    return int(periods.loc[period, "data_year"])


left, right = st.columns(2)
fam_a, per_a, ind_a, ind_name_a, label_a = ranking_controls("a", f.family, data_year(f.family, f.period),
                                                            f.indicator, left)
# B: another family at the closest data year; with one family, the period next to A's (A against itself is 1.00)
year_b = data_year(fam_a, per_a) if others else data_year(fam_a, context.neighbour_period(q.periods(fam_a), per_a))
fam_b, per_b, ind_b, ind_name_b, label_b = ranking_controls("b", others[0] if others else f.family, year_b, None,
                                                            right)
if not others:
    st.info(t("indices_one_family", lang), icon=":material/info:")
a, b = (fam_a, per_a, ind_a), (fam_b, per_b, ind_b)
name_a, name_b = (f"{short[fam]} · {ind} · {label}" for fam, ind, label in
                  ((fam_a, ind_name_a, label_a), (fam_b, ind_name_b, label_b)))
pairs = q.paired_ranks(a, b, f.level)
result = pres.agreement(len(pairs), *q.agreement(a, b, f.level)[["rho", "tau"]])

stats = st.columns(3)
stats[0].metric(t("agreement_n", lang), f"{result.n:,}")
stats[1].metric(t("agreement_rho", lang), f"{result.rho:.2f}" if result.computed else "—",
                help=t("agreement_rho_help", lang))
stats[2].metric(t("agreement_tau", lang), f"{result.tau:.2f}" if result.computed else "—",
                help=t("agreement_tau_help", lang))
st.markdown(pres.agreement_reading(result, lang))
sizes = {side: int(q.indicators(fam, per, f.level).set_index("indicator").loc[ind, "n_ranked"])
         for side, (fam, per, ind) in (("a", a), ("b", b))}
if min(sizes.values()) < 50 and result.n:
    st.caption(t("agreement_top_list", lang, n=result.n))

if pairs.empty:
    st.warning(t("indices_no_overlap", lang))
    chrome.stop()
title = t("scatter_title", lang, a=short[fam_a], b=short[fam_b])
fig = charts.rank_scatter(pairs, name_a, name_b, lang, title, f.cities)
source = chrome.attribution(v, title, [*pairs["release_a"], *pairs["release_b"]],
                            [*pairs["rank_source_a"], *pairs["rank_source_b"]], filtered=False)
chrome.chart(v, fig, "indices_scatter", f"{fam_a}_{per_a}_vs_{fam_b}_{per_b}_{f.level}", source,
             [t("click_to_choose", lang)], selectable=True)

st.subheader(t("disagreements", lang))
better_a, better_b = st.columns(2)
for column, key, frame in ((better_a, "better_in_a", pairs.sort_values("gap", ascending=False)),
                           (better_b, "better_in_b", pairs.sort_values("gap"))):
    with column:
        st.markdown(f"**{t(key, lang, a=name_a, b=name_b)}**")
        table = views.disagreement_view(frame[frame["gap"] > 0 if key == "better_in_a" else frame["gap"] < 0]
                                        .head(10), lang)
        columns.short_table(table, lang)
downloads.table_downloads(columns.exportable(views.disagreement_view(pairs, lang), lang), source,
                          f"{fam_a}_{per_a}_vs_{fam_b}_{per_b}_{f.level}", lang, key="indices_pairs")

chosen = [c for c in f.cities if c in set(pairs["adcode"])] or \
    list(pairs.reindex(pairs["gap"].abs().sort_values(ascending=False).index)["adcode"].head(2))
history = q.cross_history(list(dict.fromkeys([fam_a, fam_b])), f.level, chosen)
frameworks = {}
for fam in dict.fromkeys([fam_a, fam_b]):
    for framework, group in q.periods(fam).groupby("framework"):
        first, last = group["period"].iloc[0], group["period"].iloc[-1]
        frameworks[framework] = t("framework_span", lang, span=first if first == last else f"{first}–{last}")
history_title = t("cross_history_title", lang)
hist_fig = charts.cross_history_chart(history, {k: short[k] for k in dict.fromkeys([fam_a, fam_b])}, lang,
                                      history_title, frameworks)
chrome.chart(v, hist_fig, "indices_history", f"{fam_a}_{fam_b}_{f.level}_history",
             chrome.attribution(v, history_title, history["release_id"], pres.rank_sources(history), filtered=False),
             [t("cross_history_note", lang)])

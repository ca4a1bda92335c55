"""Method mistakes that any product data-science answer can make, found by their wording.

Sentence embeddings place "stop the test as soon as it is significant" next to "fix the
duration in advance and do not stop early": the words are the same, the method is opposite.
Each detector is a set of signs (`casecoach.grading.wording`): the few word patterns that carry
a mistake (an act, its trigger, its claim) in one sentence or two neighbouring ones. They stand
down when the sentence rejects what it describes ("we would not stop early", "that comparison
is biased") or names the correct method beside it (sequential testing, intent-to-treat, a
control group).

They are written for precision: a rejected good answer costs a candidate more trust than a
mistake the grader misses, which the rubric's own red flags may still catch. Most detectors run
on every answer. A few are mistakes only in some cases (randomizing individuals is right for a
feature each user sees alone, wrong for one a whole group shares): they run only where a
rubric red flag names them (`detector:` in the case file).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from casecoach.grading.text import normalize, split_units
from casecoach.grading.wording import Sign, first_sign, flag_signs, shows_sign

if TYPE_CHECKING:
    from casecoach.cases.schema import Case

_NONZERO = r"(?:0?\.\d*[1-9]\d*|[1-9][\d,]*(?:\.\d+)?)"
# A nonzero value with its unit, not the start of a longer token ("2SLS", "0.38x").
_VALUE = _NONZERO + r"(?:\s?(?:%|m|k|bn|million|billion|seconds?|s|pp))?(?![\w.])"
_AXIS_WORDS = r"y-?axis|axis|axes|vertical scale|y[- ]scale"
_AXIS_WORD = rf"\b(?:{_AXIS_WORDS})\b"
_AXIS = rf"\b(?:{_AXIS_WORDS}|bar chart|bars|columns)\b"  # "start the bars at 31%" too
# A line chart over time may zoom its axis: only bars must start at zero.
_OVER_TIME = r"\bline\b|\btrend|\bover time|\bweek by week|\bby week|\bdaily series"


@dataclass(frozen=True)
class Mistake:
    id: str
    description: str
    signs: tuple[Sign, ...]
    unless: tuple[str, ...] = ()  # correct-method words that clear every sign
    penalty: float = 1.0
    linked_only: bool = False  # a mistake only where a case's red flag says so


@dataclass(frozen=True)
class MistakeHit:
    id: str
    description: str
    penalty: float
    quote: str


_SIGNIFICANT = r"(?:significan\w*|p[- ]?(?:value)?\s*(?:<|below|under|dips? below|drops? below|crosses|hits)|0?\.05\b|stat(?:istical)?(?:ly)? sig\w*|stat sig)"
_STOP = r"\b(?:stop\w*|end\w*|call\w*|conclud\w*|ship\w*|launch\w*|declare\w*|drop\w*|turn\w* off|wrap\w* up|kill\w*|finish\w*|roll\w* out)\b"

MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        id="peeking",
        description=(
            "Stops the experiment when the result first looks significant: checking a fixed-"
            "horizon test repeatedly and stopping on a crossing inflates false positives."
        ),
        signs=(
            Sign(
                all=(
                    _STOP,
                    r"\b(?:as soon as|the moment|once|the first time|first (?:significant|sign)|whenever|when(?:ever)? (?:it|the \w+|p|we see|results?) \w*\s*(?:hits?|reach\w*|cross\w*|becomes?|turns?|goes|gets|shows?|is)|until)\b",
                    _SIGNIFICANT,
                ),
            ),
            Sign(
                all=(
                    r"\b(?:check\w*|look\w* at|monitor\w*|watch\w*|peek\w*|read\w*|review\w*)\b",
                    r"\b(?:daily|every (?:day|morning|week|few days)|each (?:day|morning|week)|continuous\w*|weekly|in real time|as (?:it|they|results) come)\b",
                    _STOP,
                    _SIGNIFICANT + r"|\blooks? (?:good|positive|clear)|\bwin\w*\b|\bclear\b",
                ),
            ),
        ),
        unless=(
            r"\bsequential\w*|alpha[- ]spend\w*|always[- ]valid|msprt|o'brien|pocock|"
            r"group[- ]sequential|pre-?(?:register|specif|commit)\w*|fixed (?:horizon|duration)|"
            r"bonferroni|spending function|guardrail\w*|harm\w*|safety",
        ),
    ),
    Mistake(
        id="subgroup-fishing",
        description=(
            "Searches many segments after the fact and reports the ones that came out "
            "significant or best: with enough cuts some will, by chance."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:wouldn't|won't|would not|will not|don't|do not|no need to|not going to|skip\w*) (?:\w+ )?(?:correct\w*|adjust\w*|control\w*|account\w*) for (?:multiple|multiplicity|the number of)",
                    r"\b(?:\d+|many|dozens of|every|all the|lots of) (?:\w+ )?(?:cuts|segments|cells|slices|subgroups|breakdowns|dimensions)\b",
                ),
                span=2,
            ),
            Sign(
                all=(
                    r"\b(?:headline\w*|lead with|recommend\w*|launch\w*|ship\w*|scale\w*|bet on|roll\w* out to)\b[^.;]{0,30}\b(?:the )?(?:strongest|best|biggest|largest|top|winning|best-performing|most significant)(?: significant| performing)? (?:segments?|subgroups?|cuts?|cells?|slices?|cohorts?)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:that many|so many|enough|dozens of|\d+) (?:cuts|segments|slices|cells|subgroups|breakdowns)\b[^.;]{0,30}\b(?:some|one|a few|something)\b[^.;]{0,20}\b(?:will|should|are bound to|is bound to) (?:pop|show up|come out|be significant|light up|stand out)",
                ),
                unless=(r"\bby chance|\bnoise|\bluck",),
            ),
            Sign(
                all=(
                    r"\b(?:slic\w*|cut\w*|break\w* (?:\w+ ){0,2}down|split\w*|segment(?:ing|ed)? (?:by|the|it|results)|look\w* (?:across|through)|dig\w*|drill\w*|search\w* (?:through|across|for)|scan\w*|comb\w*|go through|went through)\b",
                    r"\b(?:every|all|each|any|many|whatever|whichever|lots of|dozens of)\b[^.;]{0,40}\b(?:segment|subgroup|slice|cut|dimension|country|countries|categor|cohort|breakdown|market|region|group size|bucket|demographic|metric)\w*",
                    r"\b(?:significan\w*|stands? out|report\w*|highlight\w*|headline\w*|best|biggest|largest|strongest|worst|most|wins?\b|call (?:that|it)|root cause|the cause)",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:keep|kept) (?:slicing|cutting|digging|looking|segmenting|splitting|breaking)|\buntil (?:some|one|a|something|we find)\b[^.;]{0,40}\b(?:segment|slice|subgroup|categor|significan|stands? out|looks?)",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:enough|many|dozens of|lots of) (?:breakdowns|cuts|slices|segments|subgroups|dimensions)\b",
                    r"\b(?:the cause|root cause|tells? us|significan\w*|explains?)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:look\w* for|find|pick|choose|search\w* for|identify)\b (?:the )?(?:segments?|subgroups?|categor\w*|countries|markets|cohorts?|slices?) (?:where|that|with|in which)\b[^.;]{0,50}\b(?:best|most|significan\w*|strongest|biggest|largest)",
                    r"\b(?:after|afterwards|headline\w*|report\w*|launch\w*|recommend\w*|focus)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:whichever|whatever|any) (?:segment|subgroup|slice|categor\w*|country|market|cohort|cut|cell)s?\b[^.;]{0,60}(?:\b(?:significan\w*|best|biggest|largest|strongest|stands? out|wins?|clears?)\b|p\s*<)",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:digging|dug|dig|trawl\w*|mining|mined|exploring|explored|poking) (?:through|into|around in) the (?:data|results|numbers)\b[^.;]{0,40}\b(?:after|afterwards|post[- ]hoc|later)",
                ),
                span=2,
            ),
            Sign(
                all=(
                    r"\b(?:cut|cutting|slic\w*|split\w*|broke|break\w*|segment\w*|look\w* across|dug|dig\w*)\b[^.;]{0,50}\b(?:after the (?:test|experiment|readout|fact)|afterwards|post[- ]hoc)|\b(?:after the (?:test|experiment|readout|fact)|afterwards|post[- ]hoc)\b[^.;]{0,40}\b(?:cut|cutting|slic\w*|split\w*|broke|break\w*|segment\w*|looked across)",
                    r"\b(?:headline|opener|story|lead with|open with|becomes|focus|target\w*|recommend\w*|launch\w* (?:to|in)|rollout|start\w* the rollout)\b",
                    r"\bp\s*[=<]|significan\w*",
                ),
                span=2,
            ),
        ),
        unless=(
            r"\bpre-?(?:register|specif|defin|commit|plann)\w*|prespecif\w*|planned in advance|"
            r"decided (?:in advance|beforehand|up front)|multiple (?:comparison|testing|hypothes)\w*|"
            r"bonferroni|holm|benjamini|hochberg|false discovery|\bfdr\b|family-?wise|"
            r"exploratory|hypothes[ie]s[- ]generat\w*|hypothesis for|confirm\w* (?:it |them )?in|"
            r"replicat\w*|follow-?up test|new test|holdout|interaction term|shrink\w*|"
            r"mix[- ]?shift|decompos\w*|contribution|share of the (?:drop|change|decline)|multiplicity|adjusted|confirmator\w*|validat\w*|re-?test\w*",
        ),
    ),
    Mistake(
        id="null-read-as-no-effect",
        description=(
            "Reads a non-significant result as proof of no effect: a null test only says the "
            "effect is smaller than the test could detect; its confidence interval says how "
            "large it could still be."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:not|isn't|wasn't|aren't|weren't|didn't|did not|never|failed to|non-?|in)\s*(?:statistically )?(?:significan\w*|reach\w* significance|stat sig)|\bnothing (?:moved|changed|was) significan\w*|\bp\s*(?:>|above|over)\s*0?\.05|\bnull result|(?:includes|contains|crosses|overlaps|spans) zero|\bdidn't move|\bdid not move",
                    r"\b(?:no (?:real |measurable |actual )?(?:\w+ )?(?:effect|impact|difference|benefit)|unchanged|unaffected|not affected|no change|as (?:happy|satisfied|good) as before|is neutral|(?:users|people|members|admins|viewers|sellers|buyers) are (?:fine|happy|satisfied|ok|okay|indifferent)|nobody (?:minds|noticed|is leaving|cares)|no one (?:minds|noticed|is leaving|cares)|(?:isn't|is not|aren't|are not|wasn't|not) (?:hurting|harming)|does(?:n't| not) hurt|no harm|harmless|zero (?:effect|impact)|(?:effect|impact|change|cost|harm|difference)s? (?:is|was|are|were) (?:zero|nil|nothing|none)|does(?:n't| not) (?:affect|work|help|matter|move|change|improve|do anything)|has no (?:effect|impact)|do(?:es)? nothing|had no (?:effect|impact)|makes? no difference|no reason to believe|proves?|proven|demonstrat\w*|confirm\w* (?:that )?(?:there|it|the)|safe to (?:say|conclude) (?:that )?(?:it|there|the tool))\b",
                ),
                span=2,
            ),
            Sign(
                all=(
                    r"\b(?:proves?|proven|demonstrat\w*|establish\w*|shows? conclusively|confirm\w*)\b",
                    r"\b(?:no (?:real |measurable |actual )?(?:effect|impact|difference)|has no|had no|does nothing|zero (?:effect|impact)|doesn't (?:affect|matter|work)|is neutral)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:pass\w*|fine|ok|okay|safe|clear\w*|green|met|holds?)\b[^.;]{0,40}\b(?:unless|as long as|if|so long as)\b[^.;]{0,50}\b(?:is|are|isn't|is not|aren't|are not|comes? out|shows? up as|reaches?)\b[^.;]{0,25}\b(?:statistically )?significan\w*",
                ),
            ),
        ),
        unless=(
            r"\bdoes(?:n't| not) (?:mean|prove|show|imply|establish)|isn't the same as|is not the same as|"
            r"absence of evidence|can(?:'t|not) (?:rule out|conclude|say|claim)|could(?:n't| not) rule|"
            r"rule[sd]? out|inconclusive|underpowered|under-?powered|\bpower\w*|confidence interval|"
            r"(?:interval|\bci) (?:runs|spans|goes|of|from|is)|plausibl\w*|consistent with|\bmde\b|minimum detectable|equivalence|non-?inferior\w*|too small to|"
            r"as (?:large|big) as|(?:be|been|is|lose|cost) (?:\w+ )?as much as|between [-−–]?\d|could (?:still )?be|might (?:still )?be|"
            r"not (?:enough|sure)|no evidence (?:of|for)|no detectable|not detectable|"
            r"didn't detect|did not detect|we detect\w*|far from|(?:isn't|is not|≠|doesn't equal|does not equal|not the same as) (?:\w+ )?(?:no|zero) effect",
        ),
    ),
    Mistake(
        id="truncated-axis",
        description=(
            "Cuts a bar chart's axis so a small difference looks large: bar length must be "
            "proportional to the value, so bars start at zero."
        ),
        signs=(
            Sign(
                all=(
                    _AXIS,
                    r"\b(?:start\w*|begin\w*|begun|floor\w*|bottom\w*|set\w*)\b[^.;]{0,30}?\b(?:at|from)\s+(?:~|around |about |roughly |just below )?" + _VALUE,
                ),
                unless=(_OVER_TIME,),
            ),
            Sign(
                all=(
                    _AXIS,
                    r"\b(?:start\w*|begin\w*|floor\w*|bottom\w*|set\w*)\b[^.;]{0,30}?\b(?:just |right |slightly )?(?:below|under|near|above|close to|at) (?:the )?(?:control|baseline|lowest|smallest|minimum|min|lower) (?:arm'?s? )?(?:value|bar|level|mean|number|rate|figure|result)",
                ),
                unless=(_OVER_TIME,),
            ),
            Sign(
                all=(
                    _AXIS_WORD,
                    r"\b(?:from|between|range of)\s+" + _VALUE + r"\s*(?:to|and|-|–)\s*" + _VALUE,
                ),
                unless=(_OVER_TIME,),
            ),
            Sign(
                all=(
                    r"\b(?:zoom\w*|crop\w*|clip\w*|truncat\w*|cut\w* off|tighten\w*|squeez\w*|narrow\w*|trim\w*)\b",
                    r"\b(?:axis|axes|scale|bars?|chart|range|in on|in)\b",
                    r"\b(?:pop|pops|drama\w*|stand\w* out|look\w* (?:big|bigger|large|larger|huge|steep|impressive|dramatic|much)|visible|noticeable|fills?|magnif\w*|emphasi[sz]\w*|easier to see|catch\w* (?:the )?eye|striking|obvious|taller|whole chart|entire chart|grab)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:y-?axis|axis|scale)\b[^.;]{0,60}\b(?:so|to make|making)\b[^.;]{0,40}\b(?:gap|difference|lift|drop|effect|change|increase|decline|bar)\w*\b[^.;]{0,30}\b(?:pop|pops|stand\w* out|look\w* (?:big|bigger|large|huge|dramatic|steep|much)|fills?|visible|obvious|dramatic)",
                ),
            ),
        ),
        unless=(
            r"\b(?:start\w*|begin\w*|anchor\w*|from|at) (?:at )?(?:zero|0)\b(?![.,]\d)[^.;]{0,40}(?:honest|always|must|should|keep)|"
            r"\bzero[- ]based|\bnever (?:truncat|zoom|crop)|\bhonest\w*|\bdot plot|\bline chart|\bslope",
        ),
    ),
    Mistake(
        id="users-vs-non-users",
        description=(
            "Compares people who chose to use the feature with people who did not, or keeps "
            "only the treated users who used it, and calls the gap the feature's effect: users "
            "self-select, so the gap mixes the effect with who they are."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:compar\w*|versus|vs\.?|against|relative to|gap between|difference between|contrast\w*|match\w*)\b",
                    r"\b(?:who (?:actually |really |regularly |ever )?(?:used?|uses|opened?|opens|adopted?|adopts|engaged?|engages|tried|enabled?|clicked|accepted|created?|sent|updated|turned on|took up|interacted)|adopters?|(?:active|engaged|regular|heavy) (?:\w+ )?(?:users?|admins?|sellers?|creators?) of|non-?(?:adopters?|users?|openers?|engagers?)|non-[a-z]+ (?:users|admins|sellers|listings|creators|groups)|users of the (?:tool|feature)|those who (?:did|do)n't|those who (?:did|do) not|who never)\b",
                    r"\b(?:effect|impact|lift|causal\w*|caused?|because of|thanks to|credit|attribut\w*|true|real)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:drop\w*|exclud\w*|remov\w*|filter\w* out|throw\w* out|discard\w*|ignor\w*|leave out|leaving out|only (?:analy[sz]e|look at|count|keep|include|use)|focus\w* (?:the analysis |the readout )?on|restrict\w* (?:\w+ )?to|analy[sz]e only|keep only|limit\w* (?:\w+ )?to|condition\w* on)\b",
                    r"\b(?:who (?:never|didn't|did not|don't|do not) (?:\w+ )?(?:open|use|adopt|engage|click|try|tried|enable|create|send|accept)\w*|who (?:actually |really )(?:\w+ )?(?:open|use|adopt|engage|click|tri|enable|creat|sen|accept)\w*|non-?(?:users?|adopters?|openers?|engagers?)|never (?:really )?(?:received|got|saw|opened|used) (?:the )?(?:treatment|tool|feature|it)|weren't really treated|were not really treated|dilute\w*|(?:actual|real|active) (?:users|adopters|openers))",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:compar\w*|versus|vs\.?|against|relative to)\b",
                    r"\btreat(?:ed|ment)\b[^.;]{0,40}\b(?:who (?:actually|really)|(?:active|engaged|actual) (?:\w+ )?(?:users|admins|sellers))",
                    r"\b(?:holdout|control|held out|everyone)\b",
                ),
            ),
            Sign(
                all=(
                    r"^[^.;]{0,25}\b(?:users|admins|sellers|people|members|creators|listings|groups|customers|viewers)\b (?:who|that|whose|with)\b",
                    r"\b(?:more|less|fewer|higher|lower|better|worse|double|twice|half|\d+(?:\.\d+)?\s?(?:%|points?|pp))\b",
                    r"\b(?:so|which (?:shows|means|proves)|meaning|therefore|thus)\b[^.;]{0,60}\b(?:adds?|raises?|boosts?|drives?|causes?|costs?|cuts?|works|helps?|increases?|reduces?|improves?|effect|impact|proof|lift|push \w+ to everyone)\b",
                ),
                unless=(r"\btreat\w*|\bcontrol\b|\barms?\b|\bvariant|\btest group|\bexperiment|\brandomi|\binterval|\bdetectable",),
            ),
            Sign(
                all=(
                    r"\bregress\w*\b[^.;]{0,80}\bon\b[^.;]{0,40}\b(?:usage|how (?:many times|often|much)|number of (?:times|opens|sessions|uses|visits)|opens|adopter|adoption flag|dose|frequency of use|times (?:they|an? \w+) (?:opened|used))",
                    r"\b(?:causal|effect|impact|lift|dose[- ]response)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:compar\w*|versus|vs\.?|against|relative to|gap)\b",
                    r"\b(?:whose (?:\w+ ){0,3}(?:opened|used|adopted|engaged|clicked|accepted|rose|grew)|openers|non-openers|where they didn't|whose didn't|who didn't)\b",
                    r"\b(?:effect|impact|lift|causal\w*|benefit|payoff|headline|unlock\w*|shows? (?:the|that|what))\b",
                ),
                span=2,
            ),
        ),
        unless=(
            r"\bintent(?:ion)?[- ]to[- ]treat|\bitt\b|\bregardless of whether|whether or not (?:they|it was)|"
            r"used (?:it )?or not|\bas assigned|\bassigned arm|\bassignment\b|\binstrument\w*|\bcomplier\w*|"
            r"\bcace\b|\blate\b|\btot\b|\bscal\w* (?:up )?by|\bdivid\w*\b[^.;]{0,30}\b(?:take-?up|uptake|adoption|open\w*|usage|compliance)|\bor not\b|"
            r"\bwald\b|randomi[sz]\w*|population effect|\w+-fold\b",
        ),
    ),
    Mistake(
        id="before-after-as-effect",
        description=(
            "Reads a before-and-after change as the effect: without a control, seasonality, "
            "trends and other launches move the metric too."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:before[- ](?:and[- ])?after|pre[- /](?:and[- ])?post|pre-?launch (?:\w+ ){0,2}(?:to|vs\.?|versus|and) (?:the )?post-?launch|(?:weeks?|months?|days?|period|quarter|year) (?:before|after) (?:the )?(?:launch|release|rollout|change)\b[^.;]{0,60}\b(?:before|after) (?:the )?(?:launch|release|rollout|change)?|(?:weeks?|months?|days?|period|quarter|year) after (?:the )?(?:launch|release|rollout)\b[^.;]{0,40}\b(?:against|versus|vs\.?|compared? (?:to|with)) (?:the )?(?:\w+ )?(?:weeks?|months?|days?|period|quarter|year)s? (?:before|prior))",
                    r"\b(?:effect|impact|lift|caused?|tells? us|measures?|attribut\w*|credit|result of|due to)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:launch\w*|roll\w* out|ship\w*|release\w*) (?:it )?to (?:all|every|100%|everyone)\b",
                    r"\b(?:compar\w*|track\w*|see|watch|measure)\b[^.;]{0,60}\b(?:before|after|went up|go up|goes up|rises?|increase\w*)\b",
                    r"\b(?:no (?:need for )?(?:a )?(?:control|holdout|experiment|test)|without (?:a )?(?:control|holdout|test)|effect|impact|success)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:right|just|immediately|exactly) (?:after|when|as)\b|\btiming\b",
                    r"\b(?:so|which means|therefore|meaning|says it all|lines up)\b[^.;]{0,60}\b(?:cause|caused|to blame|responsible|culprit|revert\w*|roll\w* ?back|rollback)\b",
                ),
            ),
            Sign(
                all=(
                    r"\bbefore\b[^.;]{0,60}\bafter\b",
                    r"\b(?:meaning|so|therefore|which means)\b[^.;]{0,50}\b(?:lost|cost|gained|added|caused|effect|impact|drove|cut)\b",
                ),
            ),
        ),
        unless=(
            r"\bcontrol\b(?! for)|holdout|diff(?:erence)?[- ]in[- ]diff\w*|\bdid\b|synthetic|counterfactual|"
            r"season\w*|year[- ]over[- ]year|\byoy\b|interrupted time|comparison group|"
            r"not (?:enough|causal)|can't attribute|cannot attribute|staggered|untreated",
        ),
    ),
    Mistake(
        id="no-control-group",
        description=(
            "Measures the launch without a control group: whatever else moves the metric in "
            "the same weeks (seasons, other launches, trends) is counted as the feature's effect."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:skip\w*|no need for|don't need|do not need|without|forgo\w*|instead of)\b (?:holding (?:anyone|anybody|any \w+|\w+) back|(?:a |an |any |the )?(?:holdout|hold-?back|control group|control arm|a/b test|experiment))\b",
                    r"\b(?:measur\w*|success|effect|impact|read|track\w*|compar\w*|launch\w*|roll\w* out|ship\w*)\b",
                ),
            ),
        ),
        unless=(r"\bdiff(?:erence)?[- ]in[- ]diff\w*|synthetic control|counterfactual|staggered|switchback|geo[- ]?(?:test|experiment)|interrupted time",),
    ),
    Mistake(
        id="independent-observations",
        description=(
            "Treats repeated or clustered observations (member-days, messages, impressions of "
            "the same group or user) as independent: standard errors come out far too small."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:independent|iid|i\.i\.d)\b",
                    r"\b(?:each|every|treat\w*|as)\b[^.;]{0,40}\b(?:observations?|data points?|rows?|samples?|member-?days?|user-?days?|messages?|impressions?|sessions?|events?|listings?|prompts?|queries|posts?)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:millions|billions|huge number|so many|hundreds of millions|enormous)\b[^.;]{0,60}\b(?:rows?|observations?|data points?|member-?days?|user-?days?|impressions?|events?|messages?)\b",
                    r"\b(?:tiny|small|narrow|anything|everything|every difference|significan\w*|power)\b",
                ),
                unless=(r"\bstill\b",),
            ),
            Sign(
                all=(
                    r"\b(?:plain|standard|naive|ordinary|simple|default|regular|usual) (?:ols |t-?test |)(?:standard errors?|ses?|errors|t-?tests?|variance)\b",
                    r"\b(?:fine|enough|ok|okay|suffic\w*|work|do|good)\b",
                ),
            ),
        ),
        unless=(
            r"\bclust\w*|not independent|aren't independent|are not independent|correlat\w* within|"
            r"non-?independen\w*|bootstrap\w*|delta method|design effect|intra-?class|\bicc\b|"
            r"random effects|mixed (?:effects )?model|aggregat\w* (?:to|at|by|up)|one row per|"
            r"at the (?:group|user|thread|seller|cluster|chat|team)[- ]level",
        ),
    ),
    Mistake(
        id="uncertainty-left-off",
        description=(
            "Leaves the uncertainty off the chart: without intervals a reader cannot tell a real "
            "difference from noise."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:leav\w*|left|keep\w*|kept|drop\w*|omit\w*|strip\w*|take|took|skip\w*|remov\w*)\b (?:off |out )?(?:the |any )?(?:\w+ )?(?:confidence intervals?|error bars?|intervals?|cis?|uncertainty|whiskers)\b",
                    r"\b(?:off|out|clean\w*|simpl\w*|confus\w*|clutter\w*|distract\w*|busy|non-?technical|pms?|execs?|leadership|slide|chart|visual)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:no need for|don't need|doesn't need|do not need|does not need|without|skip\w*|forgo\w*|ditch\w*|dispens\w* with)\b (?:the |any |all )?(?:\w+ )?(?:confidence intervals?|error bars?|intervals?|cis?|uncertainty|whiskers)\b",
                ),
            ),
            Sign(
                all=(
                    r"\bpoint estimates? only\b|\bonly (?:the )?point estimates?\b|\b(?:intervals?|error bars|cis?|uncertainty) (?:read|reads|look|looks|come across|comes across|would read|would look) (?:as |like )?(?:hedging|noise|clutter|confusing|distracting|weak)",
                ),
            ),
        ),
        unless=(r"\bappendix|\bfootnote|\bhover|\btooltip|\bin the (?:notes|doc|writeup|back-?up)",),
    ),
    Mistake(
        id="dual-axis-as-evidence",
        description=(
            "Uses a two-axis chart to show that two metrics move together or that one drives the "
            "other: the axes' scales are arbitrary, so the picture proves nothing."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:dual|two|twin|second|secondary|separate|right-hand|left and right|left-hand)[- ](?:y[- ])?ax[ie]s\b|\bon the (?:left|right) (?:y-?)?axis\b[^.;]{0,60}\b(?:left|right) (?:y-?)?axis|\b(?:left|right) axis\b",
                    r"\b(?:caus\w*|drives?|driving|move together|moving together|track\w*|correlat\w*|opposition|cross\w*|explain\w*|because|blame|visibly|in lockstep|goes with|follow\w*|trade-?off|mechanism|relationship|goes up|tying)\b",
                ),
                span=2,
            ),
        ),
        unless=(r"\bsmall multiples|\bseparate (?:panels|charts)|\bstacked panels|\bindex\w* (?:both|to)|\bshared x",),
    ),
    Mistake(
        id="tool-usage-as-success",
        description=(
            "Makes usage of the feature itself (opens, views, clicks, time in it) the measure of "
            "success: launching a feature moves those by construction; success is the outcome it "
            "was built to change."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:success|primary|main|north[- ]star|key|headline|top-?line|goal)\b[^.;]{0,25}\b(?:metrics?|kpis?|measures?|means|is|=|will be|would be)\b|\b(?:primary|main|north[- ]star|success|headline)\s*:|\bsuccess (?:means|is)|\bmeasure(?:d)? success\b|\b(?:is|as) (?:a|the) success\b|\bthe launch is a success",
                    r"\b(?:opens?|opened|opening|views?|viewed|clicks?|clicked|taps?|tapped|visits?|sessions?|time spent|minutes|impressions?|searches)\b[^.;]{0,30}\b(?:the )?(?:dashboard|tool|feature|page|surface|insights?|bar|button|panel|tab|card)\b|\b(?:active|weekly|daily|monthly) (?:active )?(?:dashboard|tool|feature|insights) (?:users|admins|sellers|openers|viewers)\b|\b(?:dashboard|tool|feature|page|insights?) (?:opens|views|visits|clicks|usage|sessions|time)\b|\badmins? (?:who )?(?:open|click|view|use)\w* (?:it|the tool|the dashboard|into the tool)",
                ),
            ),
        ),
        unless=(
            r"\bguardrail\w*|\bsecondary|\bdiagnostic\w*|\binput metric|\bleading indicator|\bproxy|\bfunnel|"
            r"\bnot (?:the|a) (?:goal|success)|\bmeans to|\bretention|\bretain\w*|\bactivity|\bdownstream|\boutcome|"
            r"\bcounter-?metric|\bhealth|\bintent|\bassigned|\bcomparison|\banalysis|\brevenue|\bsell-?through|\bsatisf\w*",
        ),
    ),
    Mistake(
        id="short-read-as-long-run",
        description=(
            "Reads the first week or two as the lasting effect: novelty and learning fade or "
            "build, so a short test says little about retention or the long run."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:one|two|1|2|a|first|single) (?:full )?weeks?\b[^.;]{0,30}\b(?:is|are|should be|will be|would be|gives?|captures?)\b[^.;]{0,20}\b(?:enough|plenty|sufficient|all we need|the (?:long-?term|lasting|full|steady|true) (?:effect|picture|impact))",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:first|opening|launch|initial|week[- ]one|early) (?:week|weeks|days|fortnight)\b",
                    r"\b(?:extrapolat\w*|annuali[sz]\w*|project\w* (?:forward|out|over|for)|for the (?:year|quarter)|long[- ]?(?:term|run)|lasting|permanent\w*|the same going forward|hold(?:s)? (?:up|forever)|the (?:true|real|actual) (?:effect|impact))\b",
                    r"\b(?:effect|lift|gain|impact|win|result|bump|increase)\b",
                ),
            ),
        ),
        unless=(
            r"\bnovelty|\bprimacy|\bdecay\w*|\bwear\w* off|\bfade\w*|\bholdout|\blearning|\bpersist\w*|"
            r"\bsettle\w*|\bstabili[sz]\w*|\blater weeks|\bweek by week|\bover (?:the )?weeks|\bmonths?\b",
        ),
    ),
    Mistake(
        id="individual-randomization",
        description=(
            "Randomizes individuals for a feature whose effect reaches others (co-admins, "
            "members of one chat, friends): treated and control people share it, so the "
            "comparison is contaminated."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:randomi[sz]\w*|random(?:ly)? (?:assign|split|draw|pick|select|allocat|chosen)\w*|at random|assign\w* (?:each |every |individual )?(?:\w+ )?(?:admins?|users?|members?|accounts?|people)\b[^.;]{0,30}\b(?:to|into) (?:treatment|control|the treatment|arms?|test)|assign\w* (?:\w+ )?at random|(?:draw|pick|split|select)\w* (?:\w+ )?(?:at random|randomly)|unit of (?:randomi[sz]ation|assignment|diversion)|(?:randomi[sz]ation|assignment|diversion) unit|a/b test|coin)",
                    r"\b(?:individual (?:admins?|users?|members?|people|accounts?|sellers?|viewers?)|each (?:admin|user|member|person|account|seller)\b(?! of)|every (?:admin|user|member|person|account)\b|(?:admin|user|member|person|account|individual|seller|people)[- ](?:level|id)|(?:the )?(?:admin|user|member|person|individual|seller) (?:is|as) the (?:unit|randomi[sz]ation unit)|by (?:admin|user|member|account|seller)(?: id)?\b|\d[\d,.]*\s?[km]? (?:active )?(?:admins|users|members|sellers|people)\b (?:into|to|in|per|each)|(?:\d+%|half) of (?:all )?(?:\w+ )?(?:active )?(?:admins|users|members|people|sellers)|(?:admins|users|members|people|accounts) (?:independently|individually)|each (?:\w+ )?(?:admin|user|member|account) independently|per (?:admin|user|member|account|person)\b|randomi[sz]e (?:the |our )?(?:admins|users|members|accounts|people|sellers)\b|\d[\d,.]*\s?[km]? (?:active )?(?:admins|users|members|sellers|people) at random|random(?:ly)? (?:chosen|selected|picked|assigned|drawn) (?:admins|users|members|accounts|people))",
                ),
            ),
        ),
        unless=(
            r"\bunit (?:is|should be|will be|would be|must be) (?:the |a |each )?(?:group|community|cluster|chat|thread|market)|"
            r"\blower bound|\bunderstat\w*|\bdilut\w*|\btoward(?:s)? zero|\bsolo\b|\bwould be fine\b|"
            r"\bclust\w*|\bgroup[- ]level|\bwhole (?:group|community|communit\w+|chat|thread|cluster|conversation|network|market|neighbou?rhood)|"
            r"\bentire (?:group|chat|thread|cluster|market)|\bby group|\bper group|\bgroups? (?:as|is) the unit|"
            r"\bcomponent|\bco-?(?:admins?|moderators?) (?:share|land|stay|end up|are)|\bsame (?:arm|side|bucket|condition|variant)|"
            r"\bconnected|\bneighbo\w*|\bego\b|\bego-|\bgraph|\bspill\w*|\bcontaminat\w*|\binterference|\bthreads?\b|"
            r"\bchats?\b|\bgeo\w*|\bcountr\w*|\bmarkets?\b|\bcities|\bcity|\bregion\w*|\bswitchback",
        ),
        linked_only=True,
    ),
    Mistake(
        id="no-guardrails",
        description=(
            "Drops the guardrails: without counter-metrics (spam, reports, opt-outs, the other "
            "side of the market) a launch can win its goal metric by doing harm."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:no need for|don't need|do not need|doesn't need|does not need|won't need|skip(?:ping)?|drop(?:ping)?|forgo(?:ing)?|without) (?:any |separate |extra |the |a )?(?:guardrails?|guardrail metrics?|counter-?metrics?|guard metrics?)\b(?!\s*(?:harm|damage|loss|losses|regression|movement|moving|breach\w*|hit|impact|cost|problems?|issues?|concerns?))|\b(?:guardrails?|counter-?metrics?) (?:aren't|are not|isn't|is not|won't be|wouldn't be) (?:really )?(?:needed|necessary|required|relevant|useful|a concern|worth)|\bdoes(?:n't| not) need (?:its own|a separate|a) (?:metric|guardrail|counter-?metric)|\b(?:wouldn't|won't|would not|will not|don't|do not|no need to|(?:deliberately|intentionally|purposely|consciously) not|(?:i'd|we'd|i would|we would|we'll|i'll) not) (?:maintain|keep|track|set|add|have|need|bother with|define|use) (?:a |any )?(?:separate )?(?:guardrails?|guardrail (?:list|metrics?|set)|counter-?metrics?)\b(?!\s*(?:too|so|that|at|loosely|tightly|higher|lower))",
                ),
            ),
        ),
        # "not on vanity metrics, only on messaging"; "not after the readout" is about timing
        unless=(r"\bonly (?:on|for)\b|\bexcept\b|\binstead\b|\bafter the (?:readout|results?|fact)",),
    ),
    Mistake(
        id="bad-result-hidden",
        description=(
            "Moves the unfavourable result out of sight (the appendix, off the slide): a "
            "readout that hides a loss or a null on a stated goal is spin, and it is found out."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:put|puts|putting|move|moves|moving|moved|leave|leaves|leaving|left|keep|keeps|keeping|kept|bury|burying|relegat\w*|push|tuck\w*|lives?|go|goes|save|saving|park\w*)\b[^.;]{0,50}\b(?:in|to|into|for) (?:the |an )?(?:appendix|backup|back-up|footnote)|\b(?:off|out of) (?:the )?(?:main )?(?:slides?|screen|deck|headline|readout|story)\b|\bleave (?:it |them |that )?out\b",
                    r"\b(?:retention|negative|loss|losses|lost|drop|dropped|decline\w*|null|flat|cost|costs|harm\w*|hurt|fell|down|didn't move|not significant|insignificant|dip\w*|complaints?|reports?|publishers?|disables?|opt-?outs?|uninstalls?)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:no need to|(?:won't|wouldn't|don't|do not|will not|would not|needn't) (?:\w+ )?)(?:mention|bring up|dwell on|raise|surface|call out)\b",
                    r"\b(?:retention|negative|loss|losses|drop|dropped|decline\w*|null|flat|cost|costs|harm\w*|hurt|fell|dip\w*|complaints?|reports?|publishers?|disables?|opt-?outs?|uninstalls?|regression)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:put|puts|putting|move|moves|moving|moved|leave|leaves|leaving|left|keep|keeps|keeping|kept|bury|burying|relegat\w*|push|tuck\w*|lives?|go|goes|save|saving|park\w*)\b[^.;]{0,50}\b(?:in|to|into|for) (?:the |an )?(?:appendix|backup|back-up|footnote)|\b(?:off|out of) (?:the )?(?:main )?(?:slides?|screen|deck|headline|readout|story)\b|\bleave (?:it |them |that )?out\b",
                    r"\b(?:distract\w*|side metrics?|noise|already on (?:it|them)|keep (?:the )?(?:conversation|review|focus|story|deck|discussion)\w*|main takeaway|off-?line)\b",
                ),
            ),
        ),
        unless=(r"\bmethods?\b|\bdetails?\b|\bcaveats?\b|\bmethodolog\w*|\bmodel details|\bregression (?:output|table)|\btables?\b|\btechnical|\brobustness|\bsensitivity|\bfull results|\bcoefficients?|\bspecifications?|\bsegment details|\bbreakdowns?\b|\bfor (?:the )?(?:analysts|engineers|engineering|data (?:team|scientists)|deep[- ]dives?)\b|\bsmall multiples\b",),
    ),
    Mistake(
        id="survivor-average",
        description=(
            "Averages only over the units that got there (listings that sold, users who "
            "stayed): the feature changes who gets there, so the average compares different "
            "populations."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:among|of|for|across|over|only) (?:the )?(?:\w+ )?(?:listings|items|users|sellers|people|admins|members|posts|orders|accounts|customers)? ?(?:that|which|who) (?:eventually |actually |successfully )?(?:sold|converted|stayed|survived|returned|completed|finished|retained|churned)\b",
                    r"\b(?:average|mean|median|days|time to|time-to|how long|how fast|speed)\b",
                ),
            ),
        ),
        unless=(r"\bsurviv\w*|\bcensor\w*|\bkaplan|\bhazard|\bwithin \d+ days|\bunsold|\ball listings|\bevery listing|\bincluding (?:those|listings|the ones)|\bsell-?through",),
    ),
    Mistake(
        id="cumulative-as-success",
        description=(
            "Reports a cumulative count as success: it can only go up, so it shows growth even "
            "while new adoption and retention fall."
        ),
        signs=(
            Sign(
                all=(
                    r"\bcumulative\b|\ball-time\b|\btotal (?:ever|to date)|(?<!up )\bto date\b",
                    r"\b(?:success|north[- ]star|primary|headline|main (?:metric|kpi|chart)|kpi|goal|growth|up and to the right|keeps? (?:going|growing|climbing|rising)|momentum|shows? (?:the )?(?:product|feature|assistant|tool) (?:is )?(?:working|winning|growing))\b",
                ),
            ),
        ),
        unless=(r"\bcan only (?:go up|grow|rise|increase)|\bnever (?:go|goes) down|\bhides?|\bmask\w*|\bnew (?:adopters|users|sign-?ups) per|\bper (?:week|month|day)|\bweekly|\bmonthly|\bcohort",),
    ),
    Mistake(
        id="correlation-as-cause",
        description=(
            "Reads a correlation as cause and effect: whatever makes both move together "
            "(engaged users, seasons, size) explains it as well as the claimed cause."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:correlat\w*|move\w* together|go(?:es)? (?:up )?together|track\w* (?:each other|closely)|associated with|in lockstep)\b",
                    r"\b(?:so|therefore|which (?:means|shows|proves)|meaning|proves?|shows? that|confirms?|clearly)\b[^.;]{0,60}\b(?:drives?|driving|causes?|caus\w*|leads? to|boosts?|increases?|raises?|lifts?|works|the effect|is why|because of|responsible)\b",
                ),
            ),
        ),
        unless=(
            r"\brandomi\w*|\bexperiment\w*|\bcontrol (?:group|arm)|\bholdout|\bconfound\w*|\binstrument\w*|"
            r"\bdiff(?:erence)?[- ]in[- ]diff|\bhypothes\w*|\bcould|\bmight|\bmay\b|\bsuggests?|"
            r"\bcuped|\bvariance|\bpre-?period|\bmde\b|\bpower\w*|\bcorrelation (?:of|between)|\d correlation",
        ),
    ),
    Mistake(
        id="any-metric-significant",
        description=(
            "Declares a win if any of many metrics comes out significant: with twenty metrics "
            "at 5%, one will by chance."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:any|one|at least one|whichever|either) (?:of (?:the |our |these |them)?)?(?:\d+ |many |several |ten |twenty |dozen |our )?(?:metrics?|kpis?|outcomes?|measures?|signals?|them)\b[^.;]{0,50}\b(?:significan\w*|moves?|comes? out|p\s*<|wins?)",
                    r"\b(?:ship|launch|win|success|call|declare|go|count|roll)\w*\b",
                ),
            ),
        ),
        unless=(
            r"\bguardrail\w*|\bharm\w*|\bblock\w*|\bstop\w*|\bhalt\w*|\bbonferroni|\bholm|\bcorrect\w*|"
            r"\bfalse discovery|\bfdr\b|\bpre-?(?:register|specif)\w*|\bprimary\b|\bdegrad\w*|\bregress\w*|\bworse",
        ),
    ),
    Mistake(
        id="null-spun-as-win",
        description=(
            "Presents a result the test could not tell from zero as a win (\"directionally "
            "positive\", \"trending up\"): the interval says it may be nothing, or a loss."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:directional(?:ly)? (?:positive|up|a win|good|right)|trending (?:up|upward|positive|in the right direction)|mov(?:ing|es|ed) in the right direction|(?:early|positive|promising|encouraging) (?:signal|sign|trend|read)|leaning positive|pointing the right way|a step in the right direction)\b",
                    r"\b(?:win|wins|success|works|working|improv\w*|positive|good news|call it|launch|ship|headline|present|report|tell|lead with|count)\b",
                ),
            ),
        ),
        unless=(
            r"\bcan(?:'t|not) (?:claim|call|say|conclude)|\b(?:wouldn't|would not|won't|will not|don't|do not) (?:claim|call|present|report|count)|"
            r"\bno evidence|\binconclusive|\bnoise|\bnot (?:a|the) (?:win|result)|\bcaution\w*|\bcareful\w*|\binterval|\bcould (?:be|still)|\bunproven",
        ),
    ),
    Mistake(
        id="trend-extrapolated",
        description=(
            "Extends a few weeks' trend into the future as if it were measured: a line through "
            "four points says nothing about where the effect settles."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:extrapolat\w*|fit (?:a |the )?(?:straight )?(?:line|linear trend|trend ?line)|project\w* (?:the |that )?(?:trend|line|slope) (?:forward|out|ahead))\b",
                    r"\b(?:turns? positive|crosses zero|cross(?:es)? (?:over|zero)|will (?:keep|continue|reach|be)|by (?:month|week|quarter|year|the end)|steady[- ]state|long[- ]?(?:term|run)|six months|a year|next (?:quarter|year|half))\b",
                ),
            ),
        ),
        unless=(r"\bholdout|\buncertain\w*|\bassum\w*|\bcaveat\w*|\bsensitiv\w*|\bif the trend|\bscenario\w*|\brange|\binterval|\bforecast interval",),
    ),
    Mistake(
        id="p-value-as-probability",
        description=(
            "Reads a p-value or confidence level as the probability that the effect is real: a "
            "p-value is how surprising the data would be if there were no effect."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:p\s*[=<]\s*0?\.\d+|p-?values?|significan\w*|confidence level|95% (?:confiden\w*|ci|interval))\b|\bp\s*[=<]",
                    r"\b(?:\d{2}(?:\.\d+)?% (?:chance|probability|likely|sure|certain)|(?:chance|probability) (?:that )?(?:the )?(?:effect|feature|tool|change|lift|result|treatment|difference) (?:is real|works|is genuine|is true|is due to)|(?:only|just) (?:a )?\d(?:\.\d+)?% (?:chance|probability) (?:that )?(?:it'?s|this is|the \w+ is) (?:noise|luck|chance|random))",
                ),
            ),
        ),
        unless=(r"\bbayes\w*|\bposterior|\bprior\b|\bif there (?:were|was) no",),
    ),
    Mistake(
        id="test-changed-after-results",
        description=(
            "Changes the analysis after seeing the results (a one-sided test, dropped outliers, "
            "a new metric) to reach significance: the error rate no longer means anything."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:switch\w*|mov\w*|chang\w*|us\w*|run\w*|go\w*) (?:to |with |a )?(?:a )?one-?(?:sided|tailed) test\b|\bone-?(?:sided|tailed) (?:test|p-?value)\b",
                    r"\b(?:significan\w*|p\s*<|gets? (?:us )?(?:under|below)|clears?|crosses?|instead|since|because|so)\b",
                ),
            ),
            Sign(
                all=(
                    r"\b(?:remov\w*|drop\w*|exclud\w*|trim\w*|throw\w* out|filter\w* out|cut)\b (?:the |a few |some |those )?(?:\w+ )?outliers?\b",
                    r"\b(?:until|so (?:that )?(?:it|the \w+|we)|to (?:get|make|reach|push)|then|after (?:which|that)|once)\b[^.;]{0,40}\b(?:significan\w*|p\s*<|clears?|crosses?)",
                ),
            ),
        ),
        unless=(r"\bpre-?(?:register|specif|defin|commit)\w*|\bin advance|\bbefore (?:looking|seeing|the test|launch)|\bwinsori[sz]\w*|\bsensitivity|\brobustness check",),
    ),
    Mistake(
        id="srm-ignored",
        description=(
            "Reads an experiment whose arms are not the sizes it was randomized to: a sample "
            "ratio mismatch means assignment or logging broke, and the comparison is not clean."
        ),
        signs=(
            Sign(
                all=(
                    r"\b(?:srm|sample[- ]ratio mismatch|(?:arms?|groups?) (?:are|were|is) (?:a bit |slightly )?(?:uneven|unbalanced|different sizes?))\b",
                    r"\b(?:ignore|fine|doesn't matter|does not matter|not a (?:problem|concern|big deal)|negligible|small enough|proceed|carry on|go ahead|still read|anyway|harmless)\b",
                ),
            ),
        ),
        unless=(r"\binvestigat\w*|\bdebug\w*|\bfix\w*|\brerun|\bre-run|\bstop\w*|\bpause\w*|\bfind (?:out|the cause)|\bexplain\w*|\bcheck\w*|\bno srm|\bwithout (?:an? )?srm|\bpasses|\bpassed",),
    ),
)


MISTAKE_IDS: frozenset[str] = frozenset(m.id for m in MISTAKES)
MISTAKE_PENALTIES: dict[str, float] = {m.id: m.penalty for m in MISTAKES}


def flagged_ideals(case: Case) -> list[tuple[str, str, str]]:
    """(red flag id, question id, quote) wherever a red flag's signs or named detector would
    flag an ideal answer of its own case: a sign that catches the senior answer is too broad."""
    found: list[tuple[str, str, str]] = []
    for question in case.questions:
        for flag in question.rubric.red_flags if question.rubric else []:
            signs = flag_signs(tuple(tuple(sign) for sign in flag.signs))
            for other in case.questions:
                units = split_units(other.ideal_answer)
                quote = shows_sign(units, signs) if signs else None
                if quote is None and flag.detector is not None:
                    hits = find_mistakes(units, linked=frozenset({flag.detector}))
                    quote = next((h.quote for h in hits if h.id == flag.detector), None)
                if quote is not None:
                    found.append((flag.id, other.id, quote))
    return found


def find_mistakes(
    units: tuple[str, ...] | list[str], linked: frozenset[str] | set[str] = frozenset()
) -> list[MistakeHit]:
    """The method mistakes an answer's units show, each once, quoted where it was found.

    `linked` names the case-dependent detectors a question's red flags ask for.
    """
    texts = [normalize(u).lower() for u in units]
    hits: list[MistakeHit] = []
    for mistake in MISTAKES:
        if mistake.linked_only and mistake.id not in linked:
            continue
        quote = first_sign(mistake.signs, texts, units, mistake.unless)
        if quote is not None:
            hits.append(MistakeHit(mistake.id, mistake.description, mistake.penalty, quote))
    return hits

"""The promoter loop's figures per survey, in one SQL statement (docs/referrals.md)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from survey_app.core.db import db
from survey_app.referrals.models import Referral, ReferralCode, ReviewLink
from survey_app.responses.models import Response
from survey_app.responses.queries import countable
from survey_app.retention.models import ORDER_KINDS, Activity
from survey_app.surveys.models import Survey


@dataclass(frozen=True)
class PromoterFigures:
    #: Promoter answers counted by the dashboard (suspected automated ones left out).
    promoters: int
    #: Redirects followed to the survey's review pages.
    review_clicks: int
    #: Referral links handed out (one per promoter answer that was shown one).
    links_shared: int
    #: Openings of those links' sign-up page (previews included).
    link_opens: int
    #: People attributed to them (form, import, API).
    referred: int
    #: Of those, how many bought since, and their orders (purchases, renewals, reactivations
    #: dated on or after the day they were referred).
    referred_buyers: int
    referred_orders: int

    @property
    def click_rate(self) -> float | None:
        """Review clicks per 100 promoters (a person may click more than one site)."""
        return 100 * self.review_clicks / self.promoters if self.promoters else None


def survey_figures(survey: Survey) -> PromoterFigures:
    """:class:`PromoterFigures` of ``survey`` (all time), one statement of scalar subqueries."""
    codes = select(ReferralCode.id).where(ReferralCode.survey_id == survey.id)
    referred = (select(Referral.person_id, Referral.created_dt)
                .where(Referral.code_id.in_(codes)).subquery())
    orders = (select(Activity.person_id)
              .join(referred, and_(referred.c.person_id == Activity.person_id,
                                   Activity.occurred_on >= func.date(referred.c.created_dt)))
              .where(Activity.kind.in_(ORDER_KINDS)).subquery())
    of_survey = ReferralCode.survey_id == survey.id
    row = db.session.execute(select(
        select(func.count()).where(Response.survey_id == survey.id,
                                   Response.category == "promoter", countable())
        .scalar_subquery(),
        select(func.coalesce(func.sum(ReviewLink.clicks), 0))
        .where(ReviewLink.survey_id == survey.id).scalar_subquery(),
        select(func.count()).where(of_survey).scalar_subquery(),
        select(func.coalesce(func.sum(ReferralCode.opens), 0)).where(of_survey)
        .scalar_subquery(),
        select(func.count()).select_from(referred).scalar_subquery(),
        select(func.count(func.distinct(orders.c.person_id))).scalar_subquery(),
        select(func.count()).select_from(orders).scalar_subquery(),
    )).one()
    return PromoterFigures(*(int(value) for value in row))

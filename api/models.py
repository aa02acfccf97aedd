"""Imports every table so the metadata (and Alembic) sees the whole schema."""

from api.brands.models import Brand  # noqa: F401
from api.chain.models import ChainEvent, IndexerBlock, IndexerCursor  # noqa: F401
from api.charities.models import Charity, CharityWallet  # noqa: F401
from api.collaborations.models import Collaboration  # noqa: F401
from api.creators.models import Creator  # noqa: F401
from api.events.models import Event, EventAudience  # noqa: F401
from api.keys.models import SiweNonce  # noqa: F401
from api.kit.idempotency import IdempotencyRecord  # noqa: F401
from api.offers.models import Offer, OfferVersion  # noqa: F401
from api.payouts.models import Payout  # noqa: F401
from api.relay.models import RelayedAction  # noqa: F401
from api.requests.models import CollabRequest  # noqa: F401
from api.settlements.models import Settlement  # noqa: F401
from api.splits.models import RevenueSplit  # noqa: F401
from api.web.models import WebSession  # noqa: F401
from api.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint  # noqa: F401

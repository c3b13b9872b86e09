<?php
namespace Harbor\Insurance\Model;

// An address verification call that builds its query from a filtered array (the shape of
// OpenMage's USPS client): filtering keeps the values, so the street and ZIP end up in a URL.
class AddressCheck
{
    public function verify(array $address): array
    {
        $query = http_build_query(array_filter([ // expect: PHI-URL-001
            'street' => $address['street'] ?? '',
            'zip' => $address['zip'] ?? '',
        ]));
        $paging = http_build_query(array_filter(['store' => $this->storeCode, 'page' => $page]));
        return $this->client->get('verify?' . $query . '&' . $paging);
    }
}

<?php
return [
    'session' => [
        'save' => 'redis',
        'redis' => [
            'host' => getenv('REDIS_SESSION_HOST'), // expect: PHI-INFRA-005
        ],
    ],
    'system' => [
        'default' => [
            'catalog' => [
                'search' => [
                    'engine' => 'opensearch',
                    'opensearch_server_hostname' => 'https://search.internal',
                ],
            ],
        ],
    ],
];
